"""Catalogue texts translated into every language in settings.LANGUAGES (modeltranslation)."""

from modeltranslation.translator import TranslationOptions, register

from .models import (
    CatalogueVersion,
    Dimension,
    Framework,
    Indicator,
    IndicatorExample,
    IndicatorResource,
    SdgTarget,
)


@register(Framework)
class FrameworkTranslation(TranslationOptions):
    fields = ("name",)
    required_languages = ("en",)


@register(CatalogueVersion)
class CatalogueVersionTranslation(TranslationOptions):
    fields = ("label",)
    required_languages = ("en",)


@register(SdgTarget)
class SdgTargetTranslation(TranslationOptions):
    fields = ("title",)
    required_languages = ("en",)


@register(Dimension)
class DimensionTranslation(TranslationOptions):
    fields = ("name", "description")
    required_languages = ("en",)


@register(Indicator)
class IndicatorTranslation(TranslationOptions):
    fields = (
        "question",
        "public_question",
        "guidance",
        "descriptor_0",
        "descriptor_1",
        "descriptor_2",
        "descriptor_3",
        "descriptor_4",
        "suggestion",
    )
    required_languages = ("en",)


@register(IndicatorExample)
class IndicatorExampleTranslation(TranslationOptions):
    fields = ("text",)
    required_languages = ("en",)


@register(IndicatorResource)
class IndicatorResourceTranslation(TranslationOptions):
    fields = ("title",)
    required_languages = ("en",)
