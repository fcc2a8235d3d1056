"""Alert rules on a metric per day or week, evaluated by one worker at a time; a breach records a firing once,
shows in the admin and posts a webhook."""
