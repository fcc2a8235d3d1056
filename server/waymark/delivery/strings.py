"""The widget's own words (counter, buttons, survey and policy labels) in each shipped language, as delivery sends them.

The widget carries the English words; a delivery answer for a visitor in another shipped
language carries that language's words under ``strings``. The language is chosen from the
visitor's locale as guide texts are (`fr-CA` → `fr`), and falls back to English. A host
app replaces any of them with ``waymark.initialize({strings: {...}})``, and a guide's
``buttons`` replace its own labels.
"""

from __future__ import annotations

from functools import lru_cache

import msgspec

__all__ = ["STRINGS", "strings_json"]

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "of": "{n} of {t}",
        "close": "Close",
        "back": "Back",
        "next": "Next",
        "done": "Done",
        "snooze": "Remind me later",
        "accept": "Accept",
        "decline": "Decline",
        "submit": "Submit",
        "low": "Not at all likely",
        "high": "Extremely likely",
        "score": "Choose a score from 0 to 10.",
        "cont": "The tour continues on another page",
        "perr": "Your choice could not be recorded ({s}).",
        "psave": "Your choice could not be saved. Please try again.",
        "pretry": "Saving your choice… (retrying)",
    },
    "fr": {
        "of": "{n} sur {t}",
        "close": "Fermer",
        "back": "Retour",
        "next": "Suivant",
        "done": "Terminé",
        "snooze": "Me le rappeler plus tard",
        "accept": "Accepter",
        "decline": "Refuser",
        "submit": "Envoyer",
        "low": "Pas du tout probable",
        "high": "Très probable",
        "score": "Choisissez une note de 0 à 10.",
        "cont": "La visite continue sur une autre page",
        "perr": "Votre choix n’a pas pu être enregistré ({s}).",
        "psave": "Votre choix n’a pas pu être enregistré. Veuillez réessayer.",
        "pretry": "Enregistrement de votre choix… (nouvel essai)",
    },
    "de": {
        "of": "{n} von {t}",
        "close": "Schließen",
        "back": "Zurück",
        "next": "Weiter",
        "done": "Fertig",
        "snooze": "Später erinnern",
        "accept": "Akzeptieren",
        "decline": "Ablehnen",
        "submit": "Senden",
        "low": "Überhaupt nicht wahrscheinlich",
        "high": "Äußerst wahrscheinlich",
        "score": "Wählen Sie eine Bewertung von 0 bis 10.",
        "cont": "Die Tour geht auf einer anderen Seite weiter",
        "perr": "Ihre Auswahl konnte nicht erfasst werden ({s}).",
        "psave": "Ihre Auswahl konnte nicht gespeichert werden. Bitte versuchen Sie es erneut.",
        "pretry": "Ihre Auswahl wird gespeichert … (neuer Versuch)",
    },
    "es": {
        "of": "{n} de {t}",
        "close": "Cerrar",
        "back": "Atrás",
        "next": "Siguiente",
        "done": "Listo",
        "snooze": "Recordármelo más tarde",
        "accept": "Aceptar",
        "decline": "Rechazar",
        "submit": "Enviar",
        "low": "Nada probable",
        "high": "Muy probable",
        "score": "Elija una puntuación de 0 a 10.",
        "cont": "El recorrido continúa en otra página",
        "perr": "No se pudo registrar su elección ({s}).",
        "psave": "No se pudo guardar su elección. Inténtelo de nuevo.",
        "pretry": "Guardando su elección… (reintentando)",
    },
}


@lru_cache(maxsize=64)
def _language_json(language: str) -> bytes:
    words = STRINGS.get(language)
    if words is None or language == "en":
        return b""  # the widget has the English words
    return b'"strings":' + msgspec.json.encode(words) + b","


def strings_json(locale: str | None) -> bytes:
    """``"strings":{...},`` for the visitor's language, or nothing when the widget's English is right."""
    language = (locale or "").replace("_", "-").split("-", 1)[0].lower()
    return _language_json(language) if language in STRINGS else b""
