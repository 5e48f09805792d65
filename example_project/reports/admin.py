from __future__ import annotations

from django.contrib import admin
from django.db import models

from directus_shares.admin import SharesAdminMixin, extend_group_admin

from .models import Comment, Document, Person, Report, Tag


@admin.register(Person)
class PersonAdmin(SharesAdminMixin, admin.ModelAdmin):
    list_display = ["name", "email", "private_phone"]
    search_fields = ["name", "email"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["label", "slug"]
    search_fields = ["label", "slug"]
    prepopulated_fields = {"slug": ["label"]}


class CommentInline(admin.TabularInline):
    model = Comment
    extra = 0


class DocumentInline(admin.TabularInline):
    model = Document
    extra = 0


@admin.register(Report)
class ReportAdmin(SharesAdminMixin, admin.ModelAdmin):
    list_display = ["title", "status", "author", "published_on", "is_public"]
    list_filter = ["status", "is_public", "tags"]
    search_fields = ["title", "summary", "author__name"]
    date_hierarchy = "published_on"
    autocomplete_fields = ["author"]
    filter_horizontal = ["tags"]
    inlines = [CommentInline, DocumentInline]
    list_select_related = ["author"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # Django 6's default


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["report", "author_name", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["author_name", "body", "report__title"]
    list_select_related = ["report"]


@admin.register(Document)
class DocumentAdmin(SharesAdminMixin, admin.ModelAdmin):
    list_display = ["title", "report", "id"]
    search_fields = ["title", "report__title"]
    list_select_related = ["report"]


# Share rules on each role's page: django.contrib.auth (listed before this app) has registered
# its GroupAdmin by now, and this adds ShareRulesGroupAdminMixin to it.
extend_group_admin(admin.site)
