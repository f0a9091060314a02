// navarch validate FILE...: decode every document of every file strictly and
// validate it, printing every problem as "file:line: field.path: message".
#include <iostream>
#include <string>
#include <vector>

#include "cmd/navarch/commands.h"
#include "cmd/navarch/options.h"
#include "core/api/codec.h"
#include "core/api/validation.h"

namespace navarch::cmd {

int RunValidate(const Args& args) {
  namespace po = boost::program_options;
  po::options_description desc(
      "navarch validate FILE...: check Kubernetes v1 manifests (YAML, multi-document, or JSON)\n"
      "Every problem is printed as FILE:LINE: FIELD: MESSAGE; the exit code is 1 if any\n"
      "file has an error.\n\nOptions");
  std::vector<std::string> files;
  bool quiet = false;
  desc.add_options()("help,h", "show this help")(
      "quiet,q", po::bool_switch(&quiet), "print errors only, not the objects that are valid")(
      "file", po::value(&files), "manifest files (positional)");
  po::positional_options_description pos;
  pos.add("file", -1);
  po::variables_map vm;
  if (int rc = ParseOptions("validate", args, desc, pos, vm); rc >= 0) return rc;
  if (files.empty()) {
    std::cerr << "navarch validate: no files given\nRun 'navarch validate --help' for usage.\n";
    return 2;
  }

  int failed_files = 0;
  size_t valid_objects = 0;
  for (const auto& file : files) {
    api::DecodeOptions options;
    options.source = file;
    auto docs = api::DecodeFile(file, options);
    if (!docs.ok()) {
      std::cerr << docs.status().message() << "\n";
      ++failed_files;
      continue;
    }
    bool file_ok = true;
    for (const auto& doc : *docs) {
      auto errors = api::Validate(*doc.object);
      const auto& info = api::InfoOf(doc.object->kind());
      if (!errors.empty()) {
        std::string text = api::FormatErrors(errors, doc, file);
        if (!text.empty() && text.back() != '\n') text += '\n';
        std::cerr << text;
        file_ok = false;
        continue;
      }
      ++valid_objects;
      if (!quiet) {
        // A namespaced object without a namespace lands in "default".
        std::string_view ns = doc.object->metadata.namespace_;
        if (info.namespaced && ns.empty()) ns = "default";
        std::cout << file << ":" << doc.line << ": " << info.name << " "
                  << api::KeyOf(ns, doc.object->metadata.name) << ": valid\n";
      }
    }
    if (docs->empty()) {
      std::cerr << file << ": no objects in file (expected at least one YAML document or a JSON "
                << "object)\n";
      file_ok = false;
    }
    if (!file_ok) ++failed_files;
  }
  if (failed_files > 0) {
    std::cerr << failed_files << " of " << files.size() << " file(s) have errors\n";
    return 1;
  }
  if (!quiet) std::cout << valid_objects << " object(s) valid\n";
  return 0;
}

}  // namespace navarch::cmd
