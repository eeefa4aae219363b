"""rapid7/recog as camaudit's second knowledge source, read from a copy the user installs.

recog's XML fingerprints may not ship inside camaudit, so ``camaudit vendors update --recog
DIR`` checks a recog checkout (its own self-test, run here) and installs a dated copy with its
licence into the user data directory; identify() then uses it alongside our own rules.

- :mod:`vendors.recog.dialect`: recog's Ruby regular expressions rewritten for Python ``re``;
- :mod:`vendors.recog.db`: reading the XML files (defusedxml, stated limits) and matching;
- :mod:`vendors.recog.selftest`: recog's verify: every example matches and yields its params;
- :mod:`vendors.recog.meaning`: recog fields, vendor names and device names in our terms;
- :mod:`vendors.recog.source`: matches as weighed claims for identify(), memoised;
- :mod:`vendors.recog.store`: the installed copy, its manifest and index, loaded once.
"""
