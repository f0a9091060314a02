// Crash test: an acknowledged SqliteStore write survives kill -9.
//
// Each round forks a child that opens the store and writes from several
// threads (so group commit is exercised), reporting every acknowledged write
// over a pipe. The parent kills the child with SIGKILL after a random number
// of acknowledgements, reopens the store, and checks that every write ever
// acknowledged is in the history with the right value, and that the revision
// log is dense. Rounds alternate sync=full and sync=normal (both promise
// durability across a process kill). The seed is printed; set
// NAVARCH_CRASH_SEED to replay a failure.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/store/sqlite_store.h"
#include "tests/unit/store/store_test_util.h"

namespace navarch::store {
namespace {

constexpr int kChildThreads = 3;
constexpr int kKeysPerThread = 16;
constexpr int kRounds = 30;

struct Ack {
  Revision revision = 0;
  bool deleted = false;
  std::string key;
  std::string token;  // the value is MakeValue(token, length)
  size_t length = 0;
};

std::string MakeValue(const std::string& token, size_t length) {
  std::string v = token;
  if (v.size() < length) v.append(length - v.size(), 'x');
  return v;
}

void WriteLine(int fd, const std::string& line) {
  // One write per line, below PIPE_BUF, so lines from threads never interleave.
  ssize_t n = ::write(fd, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) ::_exit(3);
}

// The child: writes forever until killed. Each thread owns its keys, so it
// knows their state and its compare-and-swap writes never conflict.
[[noreturn]] void RunChild(const std::string& path, SqliteStoreOptions::Sync sync, uint64_t seed,
                           int round, int fd) {
  auto opened = SqliteStore::Open(path, {.sync = sync});
  if (!opened.ok()) {
    WriteLine(fd, "ERR " + opened.status().ToString() + "\n");
    ::_exit(2);
  }
  SqliteStore& store = **opened;
  std::vector<std::thread> threads;
  for (int t = 0; t < kChildThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(seed + t);
      std::string prefix = "/crash/t" + std::to_string(t) + "/k";
      std::map<std::string, Revision> mods;  // live keys of this thread
      auto list = store.List(prefix, {});
      if (!list.ok()) {
        WriteLine(fd, "ERR " + list.status().ToString() + "\n");
        ::_exit(2);
      }
      for (const auto& kv : list->items)
        mods[kv.key] = kv.mod_revision;
      for (int64_t n = 0;; ++n) {
        char name[8];
        std::snprintf(name, sizeof name, "%02d", static_cast<int>(rng() % kKeysPerThread));
        std::string key = prefix + name;
        std::string token =
            "r" + std::to_string(round) + "t" + std::to_string(t) + "n" + std::to_string(n);
        size_t length = token.size() + rng() % 1500;
        auto it = mods.find(key);
        Result<KeyValue> r = KeyValue{};
        bool deleted = false;
        if (it == mods.end()) {
          r = store.Create(key, MakeValue(token, length));
        } else if (rng() % 4 == 0) {
          deleted = true;
          r = store.Delete(key, it->second);
        } else {
          r = store.Update(key, MakeValue(token, length), it->second);
        }
        if (!r.ok()) {
          WriteLine(fd, "ERR " + r.status().ToString() + "\n");
          ::_exit(2);
        }
        if (deleted) {
          // A delete is acknowledged with the revision it removed; the parent
          // finds its tombstone as the event whose prev is that revision.
          WriteLine(fd, "D " + std::to_string(it->second) + " " + key + "\n");
          mods.erase(it);
        } else {
          mods[key] = r->mod_revision;
          WriteLine(fd, "P " + std::to_string(r->mod_revision) + " " + key + " " + token + " " +
                            std::to_string(length) + "\n");
        }
      }
    });
  }
  for (auto& t : threads)
    t.join();
  ::_exit(0);
}

TEST(SqliteCrashTest, AcknowledgedWritesSurviveKill9) {
  uint64_t seed = 0;
  if (const char* env = std::getenv("NAVARCH_CRASH_SEED")) {
    seed = std::strtoull(env, nullptr, 10);
  } else {
    seed = std::random_device{}();
  }
  std::cout << "crash test seed " << seed << " (replay with NAVARCH_CRASH_SEED=" << seed << ")"
            << std::endl;
  RecordProperty("seed", std::to_string(seed));
  std::mt19937_64 rng(seed);

  testing::TempDir dir;
  const std::string path = dir.File("crash.db");
  std::vector<Ack> acks;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round) + ", seed " + std::to_string(seed));
    auto sync =
        round % 2 == 0 ? SqliteStoreOptions::Sync::kFull : SqliteStoreOptions::Sync::kNormal;
    const uint64_t child_seed = rng();
    const size_t kill_after = 1 + rng() % 60;

    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      RunChild(path, sync, child_seed, round, fds[1]);
    }
    ::close(fds[1]);

    std::string pending;
    std::vector<std::string> lines;
    bool killed = false;
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0) break;  // EOF: the child is gone
      pending.append(buf, static_cast<size_t>(n));
      size_t nl;
      while ((nl = pending.find('\n')) != std::string::npos) {
        lines.push_back(pending.substr(0, nl));
        pending.erase(0, nl + 1);
      }
      if (!killed && lines.size() >= kill_after) {
        ::kill(pid, SIGKILL);
        killed = true;  // keep reading: lines written before death count
      }
    }
    ::close(fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(killed) << "the child exited before it was killed; last line: "
                        << (lines.empty() ? "" : lines.back());
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    const size_t first_new_ack = acks.size();
    for (const auto& line : lines) {
      ASSERT_NE(line.rfind("ERR", 0), 0u) << "child failed: " << line;
      std::istringstream in(line);
      std::string kind;
      Ack ack;
      in >> kind >> ack.revision >> ack.key;
      ack.deleted = kind == "D";
      if (!ack.deleted) in >> ack.token >> ack.length;
      acks.push_back(ack);
    }

    auto reopened = SqliteStore::Open(path);
    ASSERT_TRUE(reopened.ok()) << reopened.status();
    SqliteStore& store = **reopened;
    Revision max_acked = 0;
    // This round's puts: the state at the acknowledged revision (earlier
    // rounds' acks are re-checked below through the event history).
    for (size_t i = first_new_ack; i < acks.size(); ++i) {
      const Ack& ack = acks[i];
      if (ack.deleted) continue;
      max_acked = std::max(max_acked, ack.revision);
      auto at = store.List(ack.key, {.at_revision = ack.revision});
      ASSERT_TRUE(at.ok()) << at.status();
      const KeyValue* found = nullptr;
      for (const auto& kv : at->items) {
        if (kv.key == ack.key) found = &kv;
      }
      ASSERT_NE(found, nullptr) << "acknowledged write of " << ack.key << " at revision "
                                << ack.revision << " is missing";
      ASSERT_EQ(found->mod_revision, ack.revision) << ack.key;
      ASSERT_EQ(found->value, MakeValue(ack.token, ack.length)) << ack.key;
    }
    ASSERT_GE(store.CurrentRevision(), max_acked);

    // The whole history replays without a gap (the store itself fails the
    // watch if the log skips a revision); index it to check every ack.
    std::vector<Event> events;
    if (store.CurrentRevision() > 1) {
      auto w = store.Watch({.prefix = "", .after_revision = 1});
      ASSERT_TRUE(w.ok()) << w.status();
      events = (*w)->Poll();
      ASSERT_EQ(static_cast<Revision>(events.size()), store.CurrentRevision() - 1);
    }
    std::map<std::pair<std::string, Revision>, const Event*> by_prev;
    for (size_t i = 0; i < events.size(); ++i) {
      ASSERT_EQ(events[i].revision(), static_cast<Revision>(i + 2));
      by_prev[{events[i].kv.key, events[i].prev.mod_revision}] = &events[i];
    }
    for (const auto& ack : acks) {
      if (ack.deleted) {
        auto it = by_prev.find({ack.key, ack.revision});
        ASSERT_NE(it, by_prev.end()) << "acknowledged delete of " << ack.key << " (revision "
                                     << ack.revision << ") is missing";
        ASSERT_EQ(it->second->type, EventType::kDelete) << ack.key;
      } else if (ack.revision >= 2) {
        const Event& e = events[static_cast<size_t>(ack.revision - 2)];
        ASSERT_EQ(e.kv.key, ack.key);
        ASSERT_EQ(e.type, EventType::kPut);
        ASSERT_EQ(e.kv.value, MakeValue(ack.token, ack.length)) << ack.key;
      }
    }
  }
}

}  // namespace
}  // namespace navarch::store
