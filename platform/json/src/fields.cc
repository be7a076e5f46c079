#include "bourse/json/fields.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/value_stack.hpp>
#include <limits>
#include <string>
#include <unordered_set>
#include <vector>

namespace bourse::json {
namespace {

// Longest part of a duplicate key quoted in an error message; the rest becomes "...".
constexpr std::size_t kMaxKeyInMessage = 64;

Error malformed(std::string message, std::string reason) {
  return {ErrorCode::kMalformed, std::move(message), std::move(reason)};
}

// A basic_parser handler that builds the value like boost::json::parser does and, in the
// same pass, refuses a key already seen in the enclosing object.
class StrictHandler {
 public:
  static constexpr std::size_t max_object_size = boost::json::object::max_size();
  static constexpr std::size_t max_array_size = boost::json::array::max_size();
  static constexpr std::size_t max_key_size = boost::json::string::max_size();
  static constexpr std::size_t max_string_size = boost::json::string::max_size();

  StrictHandler() { stack_.reset(); }

  // Set when parsing stopped at a duplicate key.
  const std::optional<std::string>& duplicate_key() const { return duplicate_key_; }
  boost::json::value release() { return stack_.release(); }

  bool on_document_begin(boost::json::error_code&) { return true; }
  bool on_document_end(boost::json::error_code&) { return true; }
  bool on_object_begin(boost::json::error_code&) {
    if (depth_ == keys_.size()) {
      keys_.emplace_back();
    } else {
      keys_[depth_].clear();
    }
    ++depth_;
    return true;
  }
  bool on_object_end(std::size_t n, boost::json::error_code&) {
    --depth_;
    stack_.push_object(n);
    return true;
  }
  bool on_array_begin(boost::json::error_code&) { return true; }
  bool on_array_end(std::size_t n, boost::json::error_code&) {
    stack_.push_array(n);
    return true;
  }
  bool on_key_part(boost::json::string_view part, std::size_t, boost::json::error_code&) {
    key_.append(part.data(), part.size());
    stack_.push_chars(part);
    return true;
  }
  bool on_key(boost::json::string_view last, std::size_t, boost::json::error_code& ec) {
    key_.append(last.data(), last.size());
    const bool inserted = keys_[depth_ - 1].insert(key_).second;
    if (!inserted) {
      duplicate_key_ = std::move(key_);
      key_.clear();
      ec = boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
      return false;
    }
    key_.clear();
    stack_.push_key(last);
    return true;
  }
  bool on_string_part(boost::json::string_view part, std::size_t, boost::json::error_code&) {
    stack_.push_chars(part);
    return true;
  }
  bool on_string(boost::json::string_view last, std::size_t, boost::json::error_code&) {
    stack_.push_string(last);
    return true;
  }
  bool on_number_part(boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_int64(std::int64_t value, boost::json::string_view, boost::json::error_code&) {
    stack_.push_int64(value);
    return true;
  }
  bool on_uint64(std::uint64_t value, boost::json::string_view, boost::json::error_code&) {
    stack_.push_uint64(value);
    return true;
  }
  bool on_double(double value, boost::json::string_view, boost::json::error_code&) {
    stack_.push_double(value);
    return true;
  }
  bool on_bool(bool value, boost::json::error_code&) {
    stack_.push_bool(value);
    return true;
  }
  bool on_null(boost::json::error_code&) {
    stack_.push_null();
    return true;
  }
  bool on_comment_part(boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::json::error_code&) { return true; }

 private:
  boost::json::value_stack stack_;
  // keys_[d]: the keys seen so far in the open object at object depth d (reused).
  std::vector<std::unordered_set<std::string>> keys_;
  std::size_t depth_ = 0;  // open objects
  std::string key_;        // the key being read, across on_key_part calls
  std::optional<std::string> duplicate_key_;
};

std::string quoted_key(std::string_view key) {
  if (key.size() <= kMaxKeyInMessage) return "'" + std::string(key) + "'";
  return "'" + std::string(key.substr(0, kMaxKeyInMessage)) + "...'";
}

Error missing(std::string_view field) {
  return malformed("field '" + std::string(field) + "' is required", "missing_field");
}

Error wrong_type(std::string_view field, std::string_view expected) {
  return malformed("field '" + std::string(field) + "' must be " + std::string(expected),
                   "wrong_type");
}

// The field's value, or nullptr when absent or null.
const boost::json::value* find(const boost::json::object& object, std::string_view field) {
  const boost::json::value* value = object.if_contains(field);
  if (value == nullptr || value->is_null()) return nullptr;
  return value;
}

Result<std::int64_t> to_int64(const boost::json::value& value, std::string_view field) {
  if (value.is_int64()) return value.get_int64();
  if (value.is_uint64()) {
    if (value.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return Error{ErrorCode::kOutOfRange, "field '" + std::string(field) + "' is too large",
                   "number_out_of_range"};
    }
    return static_cast<std::int64_t>(value.get_uint64());
  }
  return wrong_type(field, "an integer");
}

}  // namespace

Result<boost::json::object> parse_object(std::string_view text, std::size_t max_depth) {
  if (text.empty()) return malformed("empty input; a JSON object is expected", "malformed_json");
  boost::json::parse_options options;
  options.max_depth = max_depth;
  boost::json::basic_parser<StrictHandler> parser(options);
  boost::json::error_code ec;
  const std::size_t consumed = parser.write_some(/*more=*/false, text.data(), text.size(), ec);
  if (const auto& key = parser.handler().duplicate_key()) {
    return malformed("duplicate key " + quoted_key(*key) + " in a JSON object", "duplicate_key");
  }
  if (ec == boost::json::error::too_deep) {
    return malformed("JSON nested deeper than " + std::to_string(max_depth) + " levels",
                     "malformed_json");
  }
  if (ec) return malformed("invalid JSON: " + ec.message(), "malformed_json");
  if (consumed < text.size()) {
    return malformed("invalid JSON: extra data after the value", "malformed_json");
  }
  boost::json::value value = parser.handler().release();
  if (!value.is_object()) return malformed("a JSON object is expected", "json_not_object");
  return std::move(value.get_object());
}

Result<std::string> require_string(const boost::json::object& object, std::string_view field) {
  const boost::json::value* value = find(object, field);
  if (value == nullptr) return missing(field);
  if (!value->is_string()) return wrong_type(field, "a string");
  return std::string(value->get_string());
}

Result<std::optional<std::string>> optional_string(const boost::json::object& object,
                                                   std::string_view field) {
  const boost::json::value* value = find(object, field);
  if (value == nullptr) return std::optional<std::string>();
  if (!value->is_string()) return wrong_type(field, "a string");
  return std::optional<std::string>(std::string(value->get_string()));
}

Result<std::int64_t> require_int64(const boost::json::object& object, std::string_view field) {
  const boost::json::value* value = find(object, field);
  if (value == nullptr) return missing(field);
  return to_int64(*value, field);
}

Result<std::optional<std::int64_t>> optional_int64(const boost::json::object& object,
                                                   std::string_view field) {
  const boost::json::value* value = find(object, field);
  if (value == nullptr) return std::optional<std::int64_t>();
  auto number = to_int64(*value, field);
  if (!number) return number.error();
  return std::optional<std::int64_t>(*number);
}

Result<bool> require_bool(const boost::json::object& object, std::string_view field) {
  const boost::json::value* value = find(object, field);
  if (value == nullptr) return missing(field);
  if (!value->is_bool()) return wrong_type(field, "a boolean");
  return value->get_bool();
}

Result<std::optional<bool>> optional_bool(const boost::json::object& object,
                                          std::string_view field) {
  const boost::json::value* value = find(object, field);
  if (value == nullptr) return std::optional<bool>();
  if (!value->is_bool()) return wrong_type(field, "a boolean");
  return std::optional<bool>(value->get_bool());
}

Result<const boost::json::object*> require_object(const boost::json::object& object,
                                                  std::string_view field) {
  const boost::json::value* value = find(object, field);
  if (value == nullptr) return missing(field);
  if (!value->is_object()) return wrong_type(field, "an object");
  return &value->get_object();
}

Result<const boost::json::object*> optional_object(const boost::json::object& object,
                                                   std::string_view field) {
  const boost::json::value* value = find(object, field);
  if (value == nullptr) return static_cast<const boost::json::object*>(nullptr);
  if (!value->is_object()) return wrong_type(field, "an object");
  return &value->get_object();
}

}  // namespace bourse::json
