"""The admin's router: every ``/admin`` page, with the dependencies report pages share (``filters``).

Add a page area by listing its handlers or controller here; its paths are absolute (``/admin/apps/...``).
"""

from __future__ import annotations

from litestar import Router
from litestar.types import ControllerRouterHandler

from waymark.admin.alert_banner import load_alert_banner
from waymark.admin.assets import static_file
from waymark.admin.filters import filters_dependency
from waymark.admin.pages_alerts import AlertPages
from waymark.admin.pages_apps import AppsPage
from waymark.admin.pages_behaviour import BehaviourPages
from waymark.admin.pages_benchmarks import BenchmarkPages
from waymark.admin.pages_cohorts import CohortPages
from waymark.admin.pages_content import ContentPage
from waymark.admin.pages_guides import GuidePages
from waymark.admin.pages_home import home
from waymark.admin.pages_impact import ImpactPage
from waymark.admin.pages_keys import KeysPage
from waymark.admin.pages_lexicon import LexiconPage
from waymark.admin.pages_live import LivePages
from waymark.admin.pages_milestones import MilestonePages
from waymark.admin.pages_nps import NpsPages
from waymark.admin.pages_overview import OverviewPages
from waymark.admin.pages_policies import PolicyPages
from waymark.admin.pages_privacy import PrivacyPage
from waymark.admin.pages_retention import RetentionPages
from waymark.admin.pages_settings import SettingsPage
from waymark.admin.pages_signal import SignalPage
from waymark.admin.pages_trends import TrendsPages
from waymark.admin.pages_webhooks import WebhooksPage

__all__ = ["admin_handlers", "admin_router"]


def admin_handlers() -> list[ControllerRouterHandler]:
    return [
        static_file,
        home,
        AppsPage,
        KeysPage,
        SettingsPage,
        PrivacyPage,
        ContentPage,
        BenchmarkPages,
        NpsPages,
        PolicyPages,
        GuidePages,
        LivePages,
        OverviewPages,
        LexiconPage,
        TrendsPages,
        RetentionPages,
        MilestonePages,
        BehaviourPages,
        AlertPages,
        WebhooksPage,
        SignalPage,
        ImpactPage,
        CohortPages,
    ]


def admin_router() -> Router:
    return Router(path="/", route_handlers=admin_handlers(), dependencies={"filters": filters_dependency},
                  before_request=load_alert_banner, include_in_schema=False)
