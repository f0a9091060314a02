#include "core/base/files.h"

#include <filesystem>
#include <fstream>
#include <iterator>

namespace navarch {

Result<std::string> ReadBoundedFile(const std::string& path, size_t max_bytes,
                                    std::string_view what) {
  const std::string name = std::string(what) + " " + path;
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    return NotFound(name + " cannot be read; check the path");
  }
  if (std::filesystem::is_directory(status)) {
    return InvalidArgument(name + " is a directory, not a file");
  }
  if (std::filesystem::is_regular_file(status)) {
    const uintmax_t size = std::filesystem::file_size(path, ec);
    if (!ec && size > max_bytes) {
      return InvalidArgument(name + " is " + std::to_string(size) + " bytes, more than the " +
                             std::to_string(max_bytes) + " this reader takes");
    }
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(name + " cannot be read; check the path and its permissions");
  // Also bounded while reading: a pipe or a growing file has no size.
  std::string out;
  char buf[64 * 1024];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    out.append(buf, static_cast<size_t>(in.gcount()));
    if (out.size() > max_bytes) {
      return InvalidArgument(name + " is more than the " + std::to_string(max_bytes) +
                             " bytes this reader takes");
    }
  }
  return out;
}

}  // namespace navarch
