@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Called by pytest to wrap individual test execution.

    We use this to turn some instances of unittest.SkipTest into
    fatal errors, if the specific implementation being tested is expected
    to support an optional behavior.

    (tertulia's run.py: the same check as irctest's new-style
    ``wrapper=True`` hook, written as an old-style hookwrapper for the
    pluggy 1.0 Debian ships.)
    """
    outcome = yield
    excinfo = outcome.excinfo
    if excinfo is None or not isinstance(excinfo[1], unittest.SkipTest):
        return
    e = excinfo[1]
    if isinstance(e, OptionalBehaviorNotSupported):
        behavior = e.args[0]
        if controller := getattr(item.instance, "controller", None):
            if behavior in controller.optional_behaviors:
                try:
                    raise Exception(
                        f"Software {controller.software_name} must support behavior {behavior} but does not"
                    ) from e
                except Exception as failure:
                    if hasattr(outcome, "force_exception"):
                        outcome.force_exception(failure)
                    else:  # pluggy < 1.1
                        outcome._excinfo = (type(failure), failure, failure.__traceback__)
    # otherwise: skip the test after all
