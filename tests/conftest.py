pytest_plugins = ["tests.fixtures.backends"]
