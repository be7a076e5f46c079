#include "bourse/common/ids.h"

#include "bourse/common/limits.h"

namespace bourse {
namespace {

bool is_user_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

}  // namespace

Status validate_user_id(std::string_view user_id) {
  if (user_id.empty() || user_id.size() > limits::kMaxUserIdLength) {
    return Error::invalid("user_id must have 1 to " + std::to_string(limits::kMaxUserIdLength) +
                              " characters",
                          "invalid_user_id");
  }
  for (char c : user_id) {
    if (!is_user_id_char(c)) {
      return Error::invalid("user_id may contain only letters, digits, '_', '-' and '.'",
                            "invalid_user_id");
    }
  }
  return Status::success();
}

Status validate_symbol(std::string_view symbol) {
  if (symbol.empty() || symbol.size() > limits::kMaxSymbolLength || symbol[0] < 'A' ||
      symbol[0] > 'Z') {
    return Error::invalid("symbol must be 1 to " + std::to_string(limits::kMaxSymbolLength) +
                              " characters starting with A-Z",
                          "invalid_symbol");
  }
  for (char c : symbol) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.')) {
      return Error::invalid("symbol may contain only A-Z, 0-9 and '.'", "invalid_symbol");
    }
  }
  return Status::success();
}

}  // namespace bourse
