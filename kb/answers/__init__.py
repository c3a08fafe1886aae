"""Answers from passages: which sentences to quote and in what order, whether to answer
at all, currency notices, the answer record's checks, and the optional LLM backend."""
