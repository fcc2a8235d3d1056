"""The lexicon: the data dictionary of an app's track events and their properties (see :mod:`.services`)."""
