"""HTTP routes by area; importing a module registers its routes on oms.api.instance.app."""
