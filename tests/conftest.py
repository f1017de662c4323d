pytest_plugins = ["tests.fixtures.backends", "tests.fixtures.sandbox"]
