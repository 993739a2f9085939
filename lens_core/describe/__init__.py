"""describe: the evidence of each cluster and what it suggests.

    build_digests(events, vectors)      counts, keywords, representatives, first/last seen per label
    class_tfidf_keywords(texts_by_label) cluster-specific words (c-TF-IDF)
    pick_representatives(vectors, texts) samples near the centre and unlike each other (MMR)
    OfflineSummarizer().summarize(d)    title and root-cause hypothesis from the evidence, no LLM

Evidence is stored typed (lens_core.storage.models.EvidenceJSON): nothing outside storage needs the
JSON form.
"""

from __future__ import annotations

from lens_core.describe.keywords import class_tfidf_keywords
from lens_core.describe.offline import OfflineSummarizer, Summarizer, describe_status, family_of
from lens_core.describe.patterns import build_digests
from lens_core.describe.representatives import pick_representatives

__all__ = [
    "OfflineSummarizer",
    "Summarizer",
    "build_digests",
    "class_tfidf_keywords",
    "describe_status",
    "family_of",
    "pick_representatives",
]

