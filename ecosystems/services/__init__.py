from ecosystems.services.regions import regions_load

__all__ = ["regions_load"]
