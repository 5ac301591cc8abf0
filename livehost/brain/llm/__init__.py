"""Language-model backends: one streaming, cancellable protocol (``base.py``), one module per
backend, and ``factory.py`` choosing one from a persona's ``llm:`` section or ``--llm``."""
