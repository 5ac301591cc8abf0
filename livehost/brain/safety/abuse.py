"""Insults and abuse, from a deliberately short built-in list (a persona's ``abuse_words``
add to it), matched on whole normalized words: "Scunthorpe", "滚筒洗衣机" (drum washer),
"去死皮" (exfoliating) and "a stupid good deal" pass; "you are so stupid" does not."""

from __future__ import annotations

import codecs

from livehost.brain.safety.normalize import Forms
from livehost.brain.safety.phrases import Phrases
from livehost.brain.safety.rules import first_match, rule
from livehost.brain.safety.verdict import Category

# Slurs are stored rot13-encoded so this file does not spell them out.
_SLURS = "|".join(codecs.decode(w, "rot13") for w in ("avttref?", "avttnf?", "snttbgf?", "xvxrf?"))
_TARGET = (
    r"idiots?|morons?|stupid|dumb|losers?|ugly|trash|garbage|pathetic|worthless|useless|imbecile|"
    r"clown|scum|freak|failure|joke|disgusting|retard|braindead"
)
_ABUSE = Category.ABUSE

RULES = (
    rule(_ABUSE, "profanity or slur", "words",
         r"\bfu+c?k+(?:ing|in|er|ers|ed|s|off|face|wit|tard)?\b",
         r"\b(?:f\*+c?k|f\*ck|f@ck|fvck|f-ck|fck|fuk|fuq|fcuk|phuck|fking|fcking|fkn|stfu|gtfo|kys|nmsl|tmd)"
         r"(?:ing|in|er|ers|ed|s|off)?\b",
         r"\bmotherf\w*", r"\bcunts?\b", r"\bbitch(?:es|y)?\b", r"\bwhores?\b", r"\bsluts?\b",
         r"\bretard(?:s|ed)?\b", r"\b(?:ass|arse)holes?\b", r"\bdickheads?\b", r"\bwankers?\b",
         r"\btwats?\b", r"\bcocksuckers?\b", r"\bdumbass(?:es)?\b", r"\bpiece\W+of\W+shit\b",
         rf"\b(?:{_SLURS})\b"),
    rule(_ABUSE, "insult", "words",
         r"\b(?:you|u|ur|you\W*re|you\W+are|u\W+r|the\W+host\W+is|this\W+host\W+is|host\W+is)\W+"
         r"(?:(?:a|an|so|such|total|complete|absolute|fucking|fat|ugly|stupid|dumb|really|very|"
         rf"just|the|most)\W+){{0,3}}(?:{_TARGET})\b",
         r"\bare\W+(?:you|u)\W+(?:so\W+|really\W+|an?\W+)?(?:stupid|dumb|idiot|moron|retarded|braindead)\b"),
    rule(_ABUSE, "incites self-harm", "words",
         r"\b(?:kill|hang|end|off)\W+(?:your\W*self|urself|yourselves)\b", r"\bgo\W+die\b",
         r"\b(?:hope|wish)\W+(?:you|u)\W+die\b", r"\bdrop\W+dead\b", r"\bneck\W+yourself\b",
         r"\bunalive\W+(?:your\W*self|urself)\b"),
    rule(_ABUSE, "profanity or slur", "compact",
         "傻逼|傻b|傻屄|煞笔|沙比|傻比|傻叉|sb主播|主播sb|操你|草你|肏你|日你妈|草泥马|尼玛|"
         "你妈(?:逼|死|的)|他妈的|去死吧|你去死|快去死|给我去死|死全家|贱人|賤人|婊子|狗东西|"
         "狗東西|脑残|腦殘|智障|白痴|白癡|滚蛋|滾蛋|给我滚|給我滾|杂种|雜種|畜生|支那|黑鬼"),
    rule(_ABUSE, "insult", "compact",
         "你(?:这个|這個|是|就是|真是|真|个|個){0,2}(?:废物|廢物|垃圾(?!桶|袋|箱|分类|分類|处理|處理|车|車)|"
         "蠢货|蠢貨|傻子|笨蛋|蠢猪|蠢豬)"),
)


def find_abuse(forms: Forms, extra: Phrases) -> str | None:
    """The reason the text is abusive, or None."""
    hit = first_match(RULES, forms)
    if hit is not None:
        return hit.reason
    if extra.search(forms.words, forms.compact):
        return "a word on the persona's abuse list"
    return None
