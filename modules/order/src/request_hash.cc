#include "bourse/order/request_hash.h"

#include <boost/uuid/detail/sha1.hpp>

namespace bourse::order {

std::string canonical_request_text(const OrderRequest& request) {
  std::string text = "v1|";
  text += request.user_id;
  text += '|';
  text += request.symbol;
  text += '|';
  text += to_string(request.side);
  text += '|';
  text += to_string(request.type);
  text += '|';
  text += to_string(request.time_in_force);
  text += '|';
  text += std::to_string(request.quantity.value());
  text += '|';
  if (request.price) text += request.price->to_string();
  return text;
}

std::string request_hash(const OrderRequest& request) {
  const std::string text = canonical_request_text(request);
  boost::uuids::detail::sha1 sha1;
  sha1.process_bytes(text.data(), text.size());
  boost::uuids::detail::sha1::digest_type digest;
  sha1.get_digest(digest);
  static constexpr char kHexDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(40);
  for (unsigned int word : digest) {
    for (int shift = 28; shift >= 0; shift -= 4) hex += kHexDigits[(word >> shift) & 0xFu];
  }
  return hex;
}

}  // namespace bourse::order
