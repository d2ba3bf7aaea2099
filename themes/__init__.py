"""themes: code children's social care complaints with every cause they raise, offline.

Read the package top-down: ``errors`` → ``data`` (exports in and out) → ``scheme`` (label
schemes) → ``text`` (spaCy features) → ``model`` (the estimator) → ``bundle`` (save/load) →
``predict`` (classify) → ``evaluate`` → reports and samples → ``cli`` (one module per command).

Import what you need from the submodules; this module stays light so that ``themes --help``
starts without loading scikit-learn, spaCy or pandas.
"""

__version__ = "0.1.0"
