"""Claims no host may make, whatever the persona says: medical and financial promises.
A persona turns them off with ``safety.builtin_claims: false`` and adds its own with
``banned_claims``."""

BUILTIN_CLAIMS: tuple[str, ...] = (
    "cures", "cure for", "will cure", "can cure", "heals cancer", "miracle cure",
    "guaranteed to", "guaranteed results", "guaranteed returns", "guaranteed profit",
    "guaranteed income", "risk-free investment", "no side effects", "double your money",
    "get rich quick",
    "治愈", "治癒", "根治", "包治", "药到病除", "藥到病除", "保证有效", "保證有效", "稳赚", "穩賺",
    "保本保息", "无副作用", "無副作用", "稳赚不赔", "穩賺不賠", "一定赚钱", "一定賺錢",
)
