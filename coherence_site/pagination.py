"""Pagination of the JSON API: pages of 50, up to 200 on request; a bad page is a 400."""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination


class ApiPagination(PageNumberPagination):
    """Pages of 50 by default, up to 200 on request; a bad page or page size is a 400, never a guess."""

    page_size = 50
    page_size_query_param = "page_size"
    page_size_query_description = _("Number of results per page, from 1 to 200 (50 when not given).")
    max_page_size = 200
    invalid_page_message = _("Invalid page: {message}.")

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            message = _("Give a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
            raise ValidationError({self.page_size_query_param: [message]})
        return size

    def paginate_queryset(self, queryset, request, view=None):
        # DRF answers a page past the end with a 404; the API's clients asked for a bad request instead.
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as error:
            raise ValidationError({self.page_query_param: [str(error.detail)]}) from error
