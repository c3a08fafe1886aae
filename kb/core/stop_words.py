"""scikit-learn's English stop words (the Glasgow list), read without importing scikit-learn.

Importing the ``sklearn`` package costs about 0.7 s of a cold ``kb ask``, and the
stop words are all it is used for at query time. The list lives in a module of
its own with no imports, so it is loaded from its file; the abstention
thresholds were calibrated with exactly this list.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

__all__ = ["english_stop_words"]


@lru_cache(maxsize=1)
def english_stop_words() -> frozenset[str]:
    spec = importlib.util.find_spec("sklearn")
    locations = list(spec.submodule_search_locations or []) if spec else []
    path = Path(locations[0]) / "feature_extraction" / "_stop_words.py" if locations else None
    if path is not None and path.is_file():
        module_spec = importlib.util.spec_from_file_location("_kb_sklearn_stop_words", path)
        if module_spec is not None and module_spec.loader is not None:
            module = importlib.util.module_from_spec(module_spec)
            module_spec.loader.exec_module(module)
            words = getattr(module, "ENGLISH_STOP_WORDS", None)
            if isinstance(words, frozenset) and words:
                return words
    # A scikit-learn that moved the list: the public import still has it.
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)
