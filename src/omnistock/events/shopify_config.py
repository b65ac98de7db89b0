"""Settings of the Shopify sink (events/shopify_sink.py), from the environment.

- `OMNISTOCK_SHOPIFY_SHOP` (empty): the shop, `my-shop.myshopify.com` (or a base URL such as
  `http://127.0.0.1:8080`); empty turns the sink off.
- `OMNISTOCK_SHOPIFY_ACCESS_TOKEN` (empty): an Admin API access token with `write_inventory`;
  required once the shop is set.
- `OMNISTOCK_SHOPIFY_API_VERSION` (`2026-01`): the Admin API version; from 2026-04 the
  compared quantity is sent as `changeFromQuantity`.
- `OMNISTOCK_SHOPIFY_CHANNEL` (empty): the channel whose ATP is pushed: a mapped location it
  does not sell is pushed 0.
- `OMNISTOCK_SHOPIFY_MAPPING_SOURCE` (`shopify`): the mappings source naming Shopify's ids
  (the webhooks' own).

A shop without a token is refused when the server starts (`ShopifyNotConfigured`), rather than
found out at the first push.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ShopifyNotConfigured(RuntimeError):
    """The sink is asked for (a shop is set) but cannot authenticate."""


class ShopifySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OMNISTOCK_SHOPIFY_", extra="ignore")

    shop: str = Field("", description="my-shop.myshopify.com, or a base URL")
    access_token: str = Field("", description="Admin API access token (write_inventory)")
    api_version: str = Field("2026-01", pattern=r"^\d{4}-\d{2}$|^unstable$")
    channel: str = Field("", description="the channel whose ATP is pushed")
    mapping_source: str = Field("shopify", description="mappings source of Shopify's ids")


@dataclass(frozen=True)
class ShopifyConfig:
    endpoint: str  # the Admin GraphQL URL
    token: str
    api_version: str
    channel: str | None
    mapping_source: str
    reason: str = "correction"
    concurrency: int = 4
    timeout: float = 10.0
    poll_interval: float = 0.5
    lease: float = 40.0  # a claimed level is taken again after this if its sender died

    @property
    def compare_field(self) -> str:
        """compareQuantity until 2026-01; changeFromQuantity (required) from 2026-04."""
        return "compareQuantity" if self.api_version < "2026-04" else "changeFromQuantity"


def endpoint(shop: str, api_version: str) -> str:
    base = shop.rstrip("/") if shop.startswith(("http://", "https://")) else f"https://{shop}"
    return f"{base}/admin/api/{api_version}/graphql.json"


def shopify_config(settings: ShopifySettings | None = None) -> ShopifyConfig | None:
    """The sink's configuration; None when no shop is set (the sink is off)."""
    s = settings or ShopifySettings()
    if not s.shop.strip():
        return None
    if not s.access_token.strip():
        raise ShopifyNotConfigured(
            f"OMNISTOCK_SHOPIFY_SHOP is set ({s.shop}) but OMNISTOCK_SHOPIFY_ACCESS_TOKEN is "
            "empty: create an Admin API access token with the write_inventory scope (a custom "
            "app in the shop's admin) and set it, or unset OMNISTOCK_SHOPIFY_SHOP to turn the "
            "Shopify sink off")
    return ShopifyConfig(endpoint(s.shop.strip(), s.api_version), s.access_token.strip(),
                         s.api_version, s.channel.strip() or None, s.mapping_source)
