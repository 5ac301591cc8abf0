"""French, Spanish and German attack rules, the basic forms (accents are already gone)."""

from __future__ import annotations

from livehost.brain.safety.rules import rule
from livehost.brain.safety.verdict import Category

INJ, LEAK, JAIL = Category.INJECTION, Category.PROMPT_LEAK, Category.JAILBREAK

RULES = (
    # French
    rule(INJ, "asks to drop its instructions", "words",
         r"\b(?:ignore[rz]?|oublie[rz]?|ne\W+tiens\W+pas\W+compte\W+d)\W+(?:(?:toutes?|tous|les|"
         r"tes|vos|ces|des|de|d|mes|la|le|precedentes?|anterieures?|instructions\W+et)\W+){0,4}"
         r"(?:instructions?|consignes?|regles|directives|commandes)\b"),
    rule(LEAK, "asks for the system prompt", "words",
         r"\b(?:revele[rz]?|affiche[rz]?|montre[rz]?|repete[rz]?|donne[rz]?|dis|dites|ecris|"
         r"imprime[rz]?|quel(?:le)?s?\W+(?:est|sont))(?:\W+moi|\W+nous)?\W+(?:ton|ta|tes|votre|vos)"
         r"\W+(?:prompt|invite|instructions?|consignes?|message\W+systeme|regles\W+secretes)\b",
         r"\b(?:prompt|invite|message|instructions?)\W+(?:du\W+)?systeme\b"),
    rule(JAIL, "tries to switch its role", "words",
         r"\b(?:tu\W+es|vous\W+etes)\W+(?:maintenant|desormais|a\W+present)\b",
         r"\bfai(?:s|tes)\W+semblant\W+d\W*(?:etre|e)\b", r"\bjou(?:e|ez)\W+le\W+role\W+d",
         r"\bmode\W+(?:developpeur|dev|sans\W+(?:filtres?|restrictions?))\b"),
    # Spanish
    rule(INJ, "asks to drop its instructions", "words",
         r"\b(?:ignora[rd]?|olvida[rd]?|omite|descarta)\W+(?:(?:todas?|todos|las|los|tus|sus|mis|"
         r"de|previas?|anteriores?)\W+){0,4}(?:instrucciones|reglas|indicaciones|directrices|"
         r"ordenes|normas)\b"),
    rule(LEAK, "asks for the system prompt", "words",
         r"\b(?:muestra(?:me)?|revela(?:me)?|repite(?:me)?|dime|ensena(?:me)?|imprime|escribe|"
         r"cual(?:es)?\W+(?:es|son))\W+(?:tu|tus|su|sus)\W+(?:\w+\W+)?(?:prompt|instrucciones|"
         r"indicaciones)\b",
         r"\b(?:prompt|mensaje|instrucciones)\W+del\W+sistema\b"),
    rule(JAIL, "tries to switch its role", "words",
         r"\bahora\W+eres\W+(?:un|una|mi|el|la)\b",
         r"\b(?:finge|fingir|pretende)\W+(?:ser|que\W+eres)\b",
         r"\bactua\W+como\b", r"\bhaz\W+(?:el\W+)?papel\W+de\b", r"\binterpreta\W+el\W+papel\b",
         r"\bmodo\W+(?:desarrollador|dios|sin\W+(?:filtros|restricciones))\b"),
    # German
    rule(INJ, "asks to drop its instructions", "words",
         r"\b(?:ignorier(?:e|en|t)?|vergiss|vergessen\W+sie|missachte)\W+(?:(?:alle|alles|deine|"
         r"ihre|die|bisherigen|vorherigen|vorigen|fruheren|obigen|bisherige|vorherige)\W+){0,4}"
         r"(?:anweisungen|instruktionen|regeln|befehle|vorgaben|richtlinien)\b"),
    rule(LEAK, "asks for the system prompt", "words",
         r"\b(?:zeig(?:e)?|verrat(?:e)?|wiederhol(?:e)?|gib|nenn(?:e)?|sag|schreib(?:e)?|druck(?:e)?)"
         r"\W+(?:(?:mir|uns)\W+)?(?:deinen|deine|dein|ihren|ihre)\W+(?:\w+\W+)?(?:systemprompt|"
         r"prompt|anweisungen|instruktionen|systemnachricht)\b",
         r"\b(?:dein|deine|deinen|ihr|ihre|ihren)\W+(?:\w+\W+)?(?:systemprompt|system\W*prompt|systemnachricht)\b",
         r"\b(?:was|wie)\W+(?:ist|sind|lautet|lauten)\W+(?:dein|deine|ihr|ihre)\W+(?:\w+\W+)?(?:prompt|"
         r"anweisungen|instruktionen)\b"),
    rule(JAIL, "tries to switch its role", "words",
         r"\bdu\W+bist\W+(?:jetzt|ab\W+jetzt|nun|ab\W+sofort)\W+(?:ein|eine|mein|meine|kein|"
         r"keine|dan|frei|nicht\W+mehr)\b",
         r"\btu\W+so\W+als\W+(?:ob|warst|waerst)\b", r"\bspiel(?:e)?\W+die\W+rolle\b",
         r"\bentwicklermodus\b", r"\bverhalte\W+dich\W+(?:wie|als)\b"),
)
