"""The one Chalice app object every route module registers on."""

from oms.api.http import CirrusApp

app = CirrusApp(app_name="cirrus-oms")
