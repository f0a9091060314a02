#pragma once
// meta.k8s.io/v1 Table rendering: what the API server answers when a client's
// Accept header asks for `as=Table;v=v1;g=meta.k8s.io` (kubectl get), for
// lists, single objects and each watch event.
//
// Columns and cells follow kube-apiserver's printers for the v1 kinds, so
// `kubectl get` prints what its users know: Pod NAME READY STATUS RESTARTS AGE
// (+ IP NODE NOMINATED NODE READINESS GATES with -o wide), and so on. As in
// kube-apiserver every row carries every column; the client hides the
// priority-1 ones unless asked for -o wide. Each row's `object` is the
// object's metadata as a PartialObjectMetadata, which kubectl needs for the
// NAMESPACE column of `-A` and for `--show-labels`.
//
// Pure functions: ages are computed against `now`, never a wall clock.

#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "core/api/object.h"
#include "core/base/time.h"

namespace navarch::apiserver {

struct TableOptions {
  Time now;  // the reference for AGE / LAST SEEN cells
  // False for every watch event after the first (kube-apiserver sends the
  // column definitions once per watch; kubectl keeps the previous ones).
  // The Table then has "columnDefinitions": null.
  bool include_column_definitions = true;
  std::string resource_version;  // metadata.resourceVersion of the Table (list or object RV)
  std::string continue_token;    // metadata.continue; omitted when empty
};

// The Table of `objects`, which must all be of `kind`.
boost::json::value ToTable(api::Kind kind, const std::vector<api::ObjectPtr>& objects,
                           const TableOptions& options);

// The column definitions of `kind`: [{"name","type","format","description","priority"}].
boost::json::array TableColumns(api::Kind kind);

// One row's cells for `object` (strings and integers, one per column).
boost::json::array TableCells(const api::Object& object, Time now);

// Kubernetes' short human form of an age: "0s", "45s", "5m3s", "12m", "3h20m",
// "17h", "2d", "5d4h", "120d", "2y30d", "9y". Ages more than a second in the
// future are "<invalid>".
std::string HumanDuration(Duration d);

// The AGE of something created at `t`: HumanDuration(now - t), or "<unknown>"
// when `t` is unset (the zero Time).
std::string AgeSince(Time t, Time now);

}  // namespace navarch::apiserver
