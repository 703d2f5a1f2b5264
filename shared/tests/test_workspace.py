import importlib


def test_every_service_package_imports() -> None:
    for name in ("hub_shared", "admission_notice", "discharge_ready", "housing_match", "billing"):
        assert importlib.import_module(name).__name__ == name
