#include "core/api/protobuf_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include <boost/json.hpp>

#include "core/api/codec.h"
#include "core/api/types.h"

namespace navarch::api {
namespace {

using ::testing::HasSubstr;
namespace json = boost::json;

// A minimal protobuf writer for building request bodies the way Go's
// generated marshalling lays them out.
class Pb {
 public:
  Pb& Varint(int field, uint64_t v) {
    Tag(field, 0);
    Raw(v);
    return *this;
  }
  Pb& Str(int field, std::string_view s) {
    Tag(field, 2);
    Raw(s.size());
    out_.append(s);
    return *this;
  }
  Pb& Msg(int field, const Pb& m) { return Str(field, m.out_); }
  Pb& Map(int field, std::string_view k, std::string_view v) {
    return Msg(field, Pb().Str(1, k).Str(2, v));
  }
  const std::string& bytes() const { return out_; }

 private:
  void Tag(int field, int wire_type) { Raw(static_cast<uint64_t>(field) << 3 | wire_type); }
  void Raw(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  std::string out_;
};

std::string Envelope(std::string_view kind, const Pb& object, std::string_view api_version = "v1") {
  Pb unknown;
  unknown.Msg(1, Pb().Str(1, api_version).Str(2, kind)).Msg(2, object).Str(3, "").Str(4, "");
  return std::string("k8s\0", 4) + unknown.bytes();
}

TEST(ProtobufCodec, ContentType) {
  EXPECT_TRUE(IsProtobufContentType("application/vnd.kubernetes.protobuf"));
  EXPECT_TRUE(IsProtobufContentType("application/vnd.kubernetes.protobuf; charset=x"));
  EXPECT_FALSE(IsProtobufContentType("application/json"));
  EXPECT_FALSE(IsProtobufContentType("application/yaml"));
}

TEST(ProtobufCodec, NamespaceAsKubectlCreateSendsIt) {
  // ObjectMeta as Go writes it: every non-pointer scalar, even when empty.
  Pb meta;
  meta.Str(1, "team-a").Str(2, "").Str(3, "").Str(4, "").Str(5, "").Str(6, "").Varint(7, 0);
  meta.Msg(8, Pb());  // a zero creationTimestamp
  meta.Map(11, "env", "prod").Map(11, "tier", "web");
  Pb ns;
  ns.Msg(1, meta).Msg(2, Pb()).Msg(3, Pb().Str(1, ""));
  auto v = DecodeProtobufToJson(Envelope("Namespace", ns));
  ASSERT_TRUE(v.ok()) << v.status();
  const json::object& o = v->as_object();
  EXPECT_EQ(o.at("kind"), "Namespace");
  EXPECT_EQ(o.at("apiVersion"), "v1");
  const json::object& m = o.at("metadata").as_object();
  EXPECT_EQ(m.at("name"), "team-a");
  EXPECT_FALSE(m.contains("generateName"));  // zero values are dropped
  EXPECT_FALSE(m.contains("generation"));
  EXPECT_EQ(m.at("labels").as_object().at("env"), "prod");
  EXPECT_EQ(m.at("labels").as_object().at("tier"), "web");

  // And it decodes as a strict JSON Namespace.
  DecodeOptions strict;
  strict.strict = true;
  auto obj = DecodeJsonValue(*v, strict);
  ASSERT_TRUE(obj.ok()) << obj.status();
  EXPECT_EQ((*obj)->kind(), Kind::kNamespace);
  EXPECT_EQ((*obj)->metadata.name, "team-a");
  EXPECT_EQ((*obj)->metadata.labels.at("env"), "prod");
}

TEST(ProtobufCodec, StringsMustBeUtf8) {
  // A label value, a label key and a plain string field that are not UTF-8:
  // refused naming the field, so that nothing unreadable is ever stored.
  for (const Pb& meta :
       {Pb().Str(1, "ns").Map(11, "env", "\xff\xfe"), Pb().Str(1, "ns").Map(11, "e\xc3", "prod"),
        Pb().Str(1, "n\xed\xa0\x80s")}) {
    auto v = DecodeProtobufToJson(Envelope("Namespace", Pb().Msg(1, meta)));
    ASSERT_FALSE(v.ok());
    EXPECT_THAT(v.status().message(), HasSubstr("not valid UTF-8"));
    EXPECT_THAT(v.status().message(), HasSubstr("metadata."));
  }
}

TEST(ProtobufCodec, TimestampsOutOfRangeAreRefused) {
  // creationTimestamp {seconds = 2^62}: past what a Time holds.
  Pb meta;
  meta.Str(1, "ns").Msg(8, Pb().Varint(1, uint64_t(1) << 62));
  auto v = DecodeProtobufToJson(Envelope("Namespace", Pb().Msg(1, meta)));
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("out of range"));
  Pb nanos;
  nanos.Str(1, "ns").Msg(8, Pb().Varint(1, 5).Varint(2, 2000000000));
  EXPECT_FALSE(DecodeProtobufToJson(Envelope("Namespace", Pb().Msg(1, nanos))).ok());
}

TEST(ProtobufCodec, ServiceWithPortsAndTargetPorts) {
  Pb port1;
  port1.Str(1, "http").Str(2, "TCP").Varint(3, 80).Msg(4, Pb().Varint(1, 0).Varint(2, 8080));
  Pb port2;
  port2.Str(1, "admin").Str(2, "TCP").Varint(3, 81).Msg(4, Pb().Varint(1, 1).Str(3, "admin"));
  port2.Varint(5, 30081);
  Pb spec;
  spec.Msg(1, port1).Msg(1, port2).Map(2, "app", "web").Str(3, "").Str(4, "NodePort");
  spec.Varint(12, 0).Varint(13, 0).Str(7, "ClientIP");
  spec.Msg(14, Pb().Msg(1, Pb().Varint(1, 600)));
  Pb svc;
  svc.Msg(1, Pb().Str(1, "web")).Msg(2, spec).Msg(3, Pb().Msg(1, Pb()));
  auto v = DecodeProtobufToJson(Envelope("Service", svc));
  ASSERT_TRUE(v.ok()) << v.status();
  const json::object& s = v->as_object().at("spec").as_object();
  const json::array& ports = s.at("ports").as_array();
  ASSERT_EQ(ports.size(), 2u);
  EXPECT_EQ(ports[0].as_object().at("port"), 80);
  EXPECT_EQ(ports[0].as_object().at("targetPort"), 8080);
  EXPECT_EQ(ports[1].as_object().at("targetPort"), "admin");
  EXPECT_EQ(ports[1].as_object().at("nodePort"), 30081);
  EXPECT_EQ(s.at("selector").as_object().at("app"), "web");
  EXPECT_EQ(s.at("type"), "NodePort");
  EXPECT_FALSE(s.contains("clusterIP"));
  EXPECT_FALSE(s.contains("healthCheckNodePort"));
  EXPECT_EQ(
      s.at("sessionAffinityConfig").as_object().at("clientIP").as_object().at("timeoutSeconds"),
      600);

  // navarch's Service has no sessionAffinityConfig (strict JSON refuses it
  // too); the rest decodes as a strict JSON Service.
  v->as_object().at("spec").as_object().erase("sessionAffinityConfig");
  DecodeOptions strict;
  strict.strict = true;
  auto obj = DecodeJsonValue(*v, strict);
  ASSERT_TRUE(obj.ok()) << obj.status();
  const auto& service = static_cast<const Service&>(**obj);
  ASSERT_EQ(service.spec.ports.size(), 2u);
  EXPECT_EQ(service.spec.ports[1].node_port, 30081);
  EXPECT_EQ(service.spec.session_affinity, "ClientIP");
}

TEST(ProtobufCodec, NegativeInt32UsesTenByteVarint) {
  Pb spec;
  spec.Msg(1, Pb().Varint(3, static_cast<uint64_t>(int64_t{-5})));
  auto v = DecodeProtobufToJson(Envelope("Service", Pb().Msg(1, Pb().Str(1, "x")).Msg(2, spec)));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->at("spec").at("ports").at(0).at("port"), -5);
}

TEST(ProtobufCodec, UnknownFieldIsAnErrorNamingItsPath) {
  Pb spec;
  spec.Str(99, "surprise");
  auto v = DecodeProtobufToJson(Envelope("Service", Pb().Msg(2, spec)));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(v.status().message(), HasSubstr("field number 99 in Service.spec"));
  EXPECT_THAT(v.status().message(), HasSubstr("application/json"));
}

TEST(ProtobufCodec, WrongWireTypeIsAnError) {
  auto v = DecodeProtobufToJson(Envelope("Namespace", Pb().Msg(1, Pb().Varint(1, 3))));
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("Namespace.metadata.name"));
}

TEST(ProtobufCodec, OtherKindsAreNotSupported) {
  auto v = DecodeProtobufToJson(Envelope("Pod", Pb().Msg(1, Pb().Str(1, "p"))));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), Code::kNotSupported);
  EXPECT_THAT(v.status().message(), HasSubstr("send the Pod as JSON"));
}

TEST(ProtobufCodec, MalformedBodies) {
  EXPECT_THAT(DecodeProtobufToJson("{\"kind\":\"Namespace\"}").status().message(),
              HasSubstr("envelope"));
  std::string body = Envelope("Namespace", Pb().Msg(1, Pb().Str(1, "team-a")));
  // Every cut before the envelope's two trailing (empty) string fields.
  for (size_t cut = 4; cut < body.size() - 4; ++cut) {
    auto v = DecodeProtobufToJson(std::string_view(body).substr(0, cut));
    EXPECT_FALSE(v.ok()) << "cut at " << cut;
  }
  EXPECT_EQ(DecodeProtobufToJson(std::string("k8s\0", 4)).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace navarch::api
