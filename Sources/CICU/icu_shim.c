#include "icu_shim.h"

#include <string.h>

#include <unicode/ubrk.h>
#include <unicode/uloc.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utypes.h>
#include <unicode/uversion.h>

void *nmt_icu_wordbreak_open(const char *locale, int32_t *status) {
    UErrorCode err = U_ZERO_ERROR;
    UBreakIterator *it = ubrk_open(UBRK_WORD, locale, NULL, 0, &err);
    *status = (int32_t)err;
    if (U_FAILURE(err)) return NULL;
    return it;
}

void nmt_icu_wordbreak_close(void *iterator) {
    if (iterator) ubrk_close((UBreakIterator *)iterator);
}

int32_t nmt_icu_wordbreak_split(void *iterator, const uint16_t *text, int32_t length,
                                int32_t *boundaries, int32_t capacity, int32_t *status) {
    UErrorCode err = U_ZERO_ERROR;
    UBreakIterator *it = (UBreakIterator *)iterator;
    ubrk_setText(it, (const UChar *)text, length, &err);
    *status = (int32_t)err;
    if (U_FAILURE(err)) return -1;
    int32_t count = 0;
    for (int32_t b = ubrk_first(it); b != UBRK_DONE; b = ubrk_next(it)) {
        if (count < capacity) boundaries[count] = b;
        count++;
    }
    return count;
}

static const UNormalizer2 *nmt_normalizer(int32_t form, UErrorCode *err) {
    switch (form) {
    case 0: return unorm2_getNFCInstance(err);
    case 1: return unorm2_getNFKCInstance(err);
    case 2: return unorm2_getNFKCCasefoldInstance(err);
    default: *err = U_ILLEGAL_ARGUMENT_ERROR; return NULL;
    }
}

int32_t nmt_icu_normalized_prefix(int32_t form, const uint16_t *text, int32_t length,
                                  int32_t *status) {
    UErrorCode err = U_ZERO_ERROR;
    const UNormalizer2 *norm = nmt_normalizer(form, &err);
    if (U_FAILURE(err)) { *status = (int32_t)err; return -1; }
    int32_t n = unorm2_spanQuickCheckYes(norm, (const UChar *)text, length, &err);
    *status = (int32_t)err;
    return U_FAILURE(err) ? -1 : n;
}

int32_t nmt_icu_from_utf8(const uint8_t *text, int32_t length,
                          uint16_t *dest, int32_t capacity, int32_t *status) {
    UErrorCode err = U_ZERO_ERROR;
    int32_t n = 0;
    u_strFromUTF8((UChar *)dest, capacity, &n, (const char *)text, length, &err);
    if (err == U_BUFFER_OVERFLOW_ERROR || err == U_STRING_NOT_TERMINATED_WARNING) err = U_ZERO_ERROR;
    *status = (int32_t)err;
    return U_FAILURE(err) ? -1 : n;
}

int32_t nmt_icu_normalize(int32_t form, const uint16_t *text, int32_t length,
                          uint16_t *dest, int32_t capacity, int32_t *status) {
    UErrorCode err = U_ZERO_ERROR;
    const UNormalizer2 *norm = NULL;
    switch (form) {
    case 0: norm = unorm2_getNFCInstance(&err); break;
    case 1: norm = unorm2_getNFKCInstance(&err); break;
    case 2: norm = unorm2_getNFKCCasefoldInstance(&err); break;
    default: *status = (int32_t)U_ILLEGAL_ARGUMENT_ERROR; return -1;
    }
    if (U_FAILURE(err)) { *status = (int32_t)err; return -1; }
    int32_t n = unorm2_normalize(norm, (const UChar *)text, length, (UChar *)dest, capacity, &err);
    if (err == U_BUFFER_OVERFLOW_ERROR) err = U_ZERO_ERROR;  // caller retries with n units
    *status = (int32_t)err;
    return U_FAILURE(err) ? -1 : n;
}

int32_t nmt_icu_to_lower(const char *locale, const uint16_t *text, int32_t length,
                         uint16_t *dest, int32_t capacity, int32_t *status) {
    UErrorCode err = U_ZERO_ERROR;
    int32_t n = u_strToLower((UChar *)dest, capacity, (const UChar *)text, length, locale, &err);
    if (err == U_BUFFER_OVERFLOW_ERROR) err = U_ZERO_ERROR;
    *status = (int32_t)err;
    return U_FAILURE(err) ? -1 : n;
}

const char *nmt_icu_error_name(int32_t status) { return u_errorName((UErrorCode)status); }

const char *nmt_icu_version(void) { return U_ICU_VERSION; }

int32_t nmt_icu_has_language(const char *language) {
    int32_t n = uloc_countAvailable();
    for (int32_t i = 0; i < n; i++) {
        char lang[16];
        UErrorCode err = U_ZERO_ERROR;
        int32_t len = uloc_getLanguage(uloc_getAvailable(i), lang, (int32_t)sizeof lang, &err);
        if (U_SUCCESS(err) && len > 0 && len < (int32_t)sizeof lang && strcmp(lang, language) == 0) return 1;
    }
    return 0;
}
