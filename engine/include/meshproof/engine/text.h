// text.h: untrusted text on its way out. File names, object names, paths and flags come
// from users and may hold any bytes; every output format shows them the same way.
//
// The one convention: a byte that is not part of valid UTF-8 is written as the four
// characters `\xHH` (lower-case hex) in every format (text, JSON, SARIF, JUnit, Python
// strings), so a name is recognisable whichever output a user reads. For a terminal,
// control characters (C0 except newline and tab, DEL, and the C1 range) are escaped the
// same way (C1 controls as `\u00HH`), so a name cannot move the cursor or retitle a
// window.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace meshproof {

/// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool IsValidUtf8(std::string_view s);

/// `s` with every byte outside a well-formed UTF-8 sequence written as `\xHH`.
std::string EscapeInvalidUtf8(std::string_view s);

/// EscapeInvalidUtf8 plus control characters as `\xHH` (newline and tab kept). When
/// `keep_sgr`, the colour sequences meshproof itself writes (ESC [ digits/; m) pass.
std::string EscapeForTerminal(std::string_view s, bool keep_sgr = false);

/// Every string value and key in `doc` passed through EscapeInvalidUtf8, in place, so that
/// serialising it cannot fail. Iterative: any nesting depth.
void EscapeInvalidUtf8(nlohmann::json* doc);

/// Turns each carriage return that is not followed by a line feed (old Mac line ends) into
/// a line feed, in place. YAML reads a lone CR as a line break; yaml-cpp does not, and would
/// see one long line. Lengths and offsets are unchanged, so locations stay right.
void NormalizeLoneCarriageReturns(std::string* text);

/// True when `name` is an HTTP field name: an RFC 9110 token (letters, digits and
/// !#$%&'*+-.^_`|~, at least one). "user agent", "x:y" and pseudo-headers such as
/// ":authority" are not: no request carries them as headers.
bool IsHttpToken(std::string_view name);

/// `s` cut to at most `max_bytes` (at a character boundary) with "... (N bytes)" appended
/// when it was longer: for quoting user text (a 20,000-character regex) in a message.
std::string Abbreviate(std::string_view s, std::size_t max_bytes = 200);

}  // namespace meshproof
