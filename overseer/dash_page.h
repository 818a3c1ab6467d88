/* dash_page.h - the dashboard's page: overseer/dash_page.html, built into
 * the program as a string (meson turns it into dash_page.c). */
#ifndef BSS_DASH_PAGE_H
#define BSS_DASH_PAGE_H

#include <stddef.h>

extern const char dash_page_html[];
extern const size_t dash_page_len;

#endif
