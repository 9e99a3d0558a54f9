// A plain-C view of the few ICU services swift-nmt uses.
//
// Only stdint types cross this header: the ICU headers are included by icu_shim.c alone.
// Swift's Foundation on Linux carries its own ICU (_FoundationICU); a Swift module that saw
// the system ICU headers as well would fail to compile, and the system ICU renames every
// function by macro (ubrk_open -> ubrk_open_72), which Swift cannot import. Text is UTF-16.
#ifndef NMT_ICU_SHIM_H
#define NMT_ICU_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// An opaque word-break iterator for one locale. NULL on failure (status set).
void *nmt_icu_wordbreak_open(const char *locale, int32_t *status);
void nmt_icu_wordbreak_close(void *iterator);

/// Splits `text` (UTF-16, `length` units) at ICU word boundaries.
/// Writes the boundary offsets (the first is 0, the last is `length`) to `boundaries`
/// and returns how many there are; if that is more than `capacity`, nothing useful is written
/// and the caller retries with a larger buffer. Negative on error (status set).
int32_t nmt_icu_wordbreak_split(void *iterator, const uint16_t *text, int32_t length,
                                int32_t *boundaries, int32_t capacity, int32_t *status);

/// Normalization forms: 0 NFC, 1 NFKC, 2 NFKC_Casefold.
/// Writes the normalized text into `dest` and returns its length in UTF-16 units; if that
/// exceeds `capacity`, the caller retries with a larger buffer. Negative on error.
int32_t nmt_icu_normalize(int32_t form, const uint16_t *text, int32_t length,
                          uint16_t *dest, int32_t capacity, int32_t *status);

/// Locale-aware full lowercasing (u_strToLower). Same return convention as normalize.
int32_t nmt_icu_to_lower(const char *locale, const uint16_t *text, int32_t length,
                         uint16_t *dest, int32_t capacity, int32_t *status);

/// Converts UTF-8 to UTF-16 (u_strFromUTF8; invalid sequences are an error).
/// Same return convention as normalize.
int32_t nmt_icu_from_utf8(const uint8_t *text, int32_t length,
                          uint16_t *dest, int32_t capacity, int32_t *status);

/// Length of the longest prefix of `text` that is already in normalization form `form`
/// (0 NFC, 1 NFKC, 2 NFKC_Casefold) by the quick check; `length` means "all of it".
/// Negative on error.
int32_t nmt_icu_normalized_prefix(int32_t form, const uint16_t *text, int32_t length,
                                  int32_t *status);

/// Human-readable name of an ICU error code.
const char *nmt_icu_error_name(int32_t status);

/// The ICU version the library was built against, e.g. "72.1".
const char *nmt_icu_version(void);

/// 1 if ICU has locale data for the language code `language` ("de", "en", "yue"), else 0.
int32_t nmt_icu_has_language(const char *language);

#ifdef __cplusplus
}
#endif

#endif
