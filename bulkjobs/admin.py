"""A ModelAdmin mixin for admin actions that run in the background with a progress page."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from . import selectors, services


class BulkJobAdminMixin:
    """`return self.start_bulk_job(request, queryset, service=..., description=...)` from an admin
    action: the request only records the job and answers with its progress page (it never
    waits on the broker nor on the objects); a worker calls the service for each object."""

    # The exceptions by which the services refuse an object; their messages are shown.
    bulk_refusals: tuple[type[Exception], ...] = ()

    def start_bulk_job(
        self, request: HttpRequest, queryset, *, service: Callable, description
    ) -> HttpResponseRedirect:
        info = self.opts.app_label, self.opts.model_name
        job = services.bulk_job_start(
            objects=queryset,
            service=service,
            refusals=self.bulk_refusals,
            description=str(description),
            by=request.user,
            return_url=reverse("admin:{}_{}_changelist".format(*info), current_app=self.admin_site.name),
        )
        return redirect("admin:{}_{}_bulk_job".format(*info), job.pk)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "bulk/<int:job_id>/",
                self.admin_site.admin_view(self.bulk_job_view),
                name="{}_{}_bulk_job".format(*info),
            ),
            path(
                "bulk/<int:job_id>/progress/",
                self.admin_site.admin_view(self.bulk_job_progress_view),
                name="{}_{}_bulk_job_progress".format(*info),
            ),
            *super().get_urls(),
        ]

    def bulk_job_view(self, request: HttpRequest, job_id: int) -> TemplateResponse:
        job = selectors.bulk_job_for_viewer(user=request.user, pk=job_id)
        info = self.opts.app_label, self.opts.model_name
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": job.description,
            "job": job,
            "progress_url": reverse("admin:{}_{}_bulk_job_progress".format(*info), args=[job.pk]),
        }
        return TemplateResponse(request, "admin/bulkjobs/progress.html", context)

    def bulk_job_progress_view(self, request: HttpRequest, job_id: int) -> JsonResponse:
        job = selectors.bulk_job_for_viewer(user=request.user, pk=job_id)
        return JsonResponse(selectors.bulk_job_progress(job))
