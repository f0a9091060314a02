#include "cmd/navarch/cmd_static_pods.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>

namespace navarch::cmd {

namespace po = boost::program_options;
namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;

void StaticPodFlags::Add(po::options_description& desc) {
  desc.add_options()("manifest-dir", po::value(&manifest_dir),
                     "run static pods from the manifests (*.yaml, *.yml, *.json) in this "
                     "directory; changes are picked up every --manifest-poll")(
      "manifest-url", po::value(&manifest_url),
      "run static pods from the manifest served at this http:// URL, fetched every "
      "--manifest-url-poll")("manifest-poll", po::value(&poll_period)->default_value(poll_period),
                             "how often the manifest directory is read")(
      "manifest-url-poll", po::value(&url_poll_period)->default_value(url_poll_period),
      "how often the manifest URL is fetched")(
      "standalone", po::bool_switch(&standalone),
      "no API server: run only the static pods, from a private in-memory store");
}

namespace {

struct Url {
  std::string host;
  std::string port = "80";
  std::string target = "/";
};

Result<Url> ParseUrl(const std::string& url) {
  const std::string http = "http://";
  if (url.rfind("https://", 0) == 0)
    return Status(Code::kNotSupported, "--manifest-url " + url +
                                           ": https is not supported; serve the manifests over "
                                           "http:// on a trusted network");
  if (url.rfind(http, 0) != 0)
    return InvalidArgument("--manifest-url " + url + ": expected http://HOST[:PORT]/PATH");
  std::string rest = url.substr(http.size());
  Url u;
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) u.target = rest.substr(slash);
  size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    u.port = authority.substr(colon + 1);
    authority = authority.substr(0, colon);
  }
  if (authority.size() > 2 && authority.front() == '[' && authority.back() == ']')
    authority = authority.substr(1, authority.size() - 2);
  int port = 0;
  auto [p, ec] = std::from_chars(u.port.data(), u.port.data() + u.port.size(), port);
  if (authority.empty() || ec != std::errc() || p != u.port.data() + u.port.size() || port < 1 ||
      port > 65535)
    return InvalidArgument("--manifest-url " + url + ": expected http://HOST[:PORT]/PATH");
  u.host = authority;
  return u;
}

Result<Duration> Period(const std::string& flag, const std::string& text) {
  auto d = ParseDuration(text);
  if (!d.ok() || *d <= Duration::zero())
    return InvalidArgument("--" + flag + ": \"" + text +
                           "\" is not a positive duration (e.g. 5s, 1m)");
  return *d;
}

}  // namespace

Result<std::string> HttpManifestFetcher::Fetch(const std::string& url) {
  NAVARCH_ASSIGN_OR_RETURN(Url u, ParseUrl(url));
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(timeout_);
    stream.connect(resolver.resolve(u.host, u.port));
    http::request<http::empty_body> req(http::verb::get, u.target, 11);
    req.set(http::field::host, u.host);
    req.set(http::field::user_agent, "navarch-kubelet");
    req.set(http::field::connection, "close");
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(16u << 20);
    http::read(stream, buffer, parser);
    auto& res = parser.get();
    if (res.result_int() < 200 || res.result_int() >= 300)
      return Unavailable("GET " + url + ": HTTP " + std::to_string(res.result_int()) + " " +
                         std::string(res.reason()));
    return std::move(res.body());
  } catch (const boost::system::system_error& e) {
    return Unavailable("GET " + url + ": " + e.code().message());
  }
}

Result<std::unique_ptr<StaticPods>> StaticPods::Create(const StaticPodFlags& flags,
                                                       const std::string& node_name,
                                                       client::Api& api, runtime::Clock& clock,
                                                       std::function<void(std::string_view)> log) {
  if (!flags.enabled()) {
    if (flags.standalone)
      return InvalidArgument(
          "--standalone: needs --manifest-dir or --manifest-url (a standalone "
          "kubelet runs static pods only)");
    return std::unique_ptr<StaticPods>();
  }
  kubelet::ManifestSourceOptions o;
  o.node_name = node_name;
  o.manifest_dir = flags.manifest_dir;
  o.manifest_url = flags.manifest_url;
  NAVARCH_ASSIGN_OR_RETURN(o.poll_period, Period("manifest-poll", flags.poll_period));
  NAVARCH_ASSIGN_OR_RETURN(o.url_poll_period, Period("manifest-url-poll", flags.url_poll_period));
  if (!o.manifest_url.empty()) NAVARCH_RETURN_IF_ERROR(ParseUrl(o.manifest_url).status());
  o.log = std::move(log);
  std::unique_ptr<StaticPods> sp(new StaticPods());
  sp->source_ = std::make_unique<kubelet::ManifestSource>(api, clock, std::move(o), &sp->reader_,
                                                          &sp->fetcher_);
  return sp;
}

}  // namespace navarch::cmd
