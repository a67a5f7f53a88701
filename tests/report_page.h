/* report_page.h — the results that an index.html carries, read back as the
 * page reads them, for the tests that check what a page holds. */
#ifndef SHAKEDOWN_TESTS_REPORT_PAGE_H
#define SHAKEDOWN_TESTS_REPORT_PAGE_H

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* The element that holds them (harness/report/report_html.c). */
static const char page_results_tag[] = "<script type=\"application/gzip\" id=\"sd-results\">";

/* The page's results element: base64 of gzip. Decoded here as the page
 * does it (atob, DecompressionStream('gzip')): the compact JSON text. */
static json_t *page_data_of(const char *blob, size_t len) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t *gz = malloc(len / 4 * 3 + 3);
    assert_non_null(gz);
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len && blob[i] != '='; i++) {
        const char *at = strchr(alphabet, blob[i]);
        assert_non_null(at);
        acc = (acc << 6) | (uint32_t)(at - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            gz[n++] = (uint8_t)(acc >> bits);
        }
    }
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK); /* gzip only, as the page reads it */
    size_t cap = 1 << 20, got = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    z.next_in = gz;
    z.avail_in = (uInt)n;
    int rc;
    do {
        if (cap - got < 4096) {
            cap *= 2;
            text = realloc(text, cap);
            assert_non_null(text);
        }
        z.next_out = (Bytef *)text + got;
        z.avail_out = (uInt)(cap - got - 1);
        rc = inflate(&z, Z_NO_FLUSH);
        got = cap - 1 - z.avail_out;
    } while (rc == Z_OK);
    assert_int_equal(rc, Z_STREAM_END);
    assert_int_equal(z.avail_in, 0); /* one gzip member, nothing after it */
    inflateEnd(&z);
    free(gz);
    json_error_t jerr;
    json_t *root = json_loadb(text, got, 0, &jerr);
    if (!root) fail_msg("page data does not parse: %s", jerr.text);
    free(text);
    return root;
}

/* The page data of a whole index.html (its results element decoded). */
static json_t *page_data_in(const char *html) {
    const char *blob = strstr(html, page_results_tag);
    assert_non_null(blob);
    blob += strlen(page_results_tag);
    const char *end = strstr(blob, "</script");
    assert_non_null(end);
    return page_data_of(blob, (size_t)(end - blob));
}

#endif
