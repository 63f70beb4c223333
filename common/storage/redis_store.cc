#include "common/storage/redis_store.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/logging/log.h"
#include "common/status/macros.h"
#include "common/time/call_deadline.h"

namespace employability::storage {
namespace {

using Op = Batch::Op;

// How much longer than the connect and command timeouts a caller waits for
// its I/O thread before giving up on the reply.
constexpr absl::Duration kWaitMargin = absl::Milliseconds(250);
// Time kept back from a call's deadline to send the caller our answer.
constexpr absl::Duration kAnswerReserve = absl::Milliseconds(20);

// The whole of a batch, run atomically by Redis. KEYS[i] is step i's key;
// ARGV holds three values per step: an op code and two arguments. Versions
// and scores travel as strings and are compared as strings, never as Lua
// numbers (doubles).
constexpr char kCommitScript[] = R"lua(
local n = #KEYS
-- The kind of each key as the batch goes: learnt once with TYPE, then
-- tracked through the steps, so no key is asked twice.
local kinds = {}
local function kind_of(key)
  local kind = kinds[key]
  if kind == nil then
    kind = redis.call('TYPE', key).ok
    kinds[key] = kind
  end
  return kind
end

-- 1. Conditions, against the state before the batch.
for i = 1, n do
  local op, key = ARGV[3 * i - 2], KEYS[i]
  if op == 'A' or op == 'V' then
    local kind = kind_of(key)
    local holds
    if op == 'A' then
      holds = kind == 'none'
    else
      holds = kind == 'hash' and redis.call('HGET', key, 'v') == ARGV[3 * i - 1]
    end
    if not holds then
      if kind == 'hash' then
        local found = redis.call('HMGET', key, 'd', 'v')
        return {0, i - 1, found[1], found[2]}
      end
      return {0, i - 1, false, false}
    end
  end
end

-- 2. Kinds. Redis does not roll a script back, so a step that would fail
-- half way (WRONGTYPE) is refused before anything changes. `fresh` marks the
-- records that do not exist yet: they are written in one call.
local needs = {P = 'hash', E = 'hash', I = 'string', Z = 'zset', R = 'zset',
               S = 'stream'}
local after = {}
local fresh = {}
for i = 1, n do
  local op, key = ARGV[3 * i - 2], KEYS[i]
  if op == 'D' then
    after[key] = 'none'
  elseif needs[op] then
    local kind = after[key]
    if kind == nil then kind = kind_of(key) end
    if kind ~= 'none' and kind ~= needs[op] then
      return redis.error_reply('WRONGTYPE batch step ' .. (i - 1))
    end
    if (op == 'P' or op == 'E') and kind == 'none' then fresh[i] = true end
    if op == 'R' then after[key] = kind else after[key] = needs[op] end
  end
end

-- 3. Mutations, in order.
local versions, ids = {}, {}
for i = 1, n do
  local op, key, a, b = ARGV[3 * i - 2], KEYS[i], ARGV[3 * i - 1], ARGV[3 * i]
  if op == 'P' or op == 'E' then
    if fresh[i] then
      redis.call('HSET', key, 'v', 1, 'd', a)
      versions[#versions + 1] = 1
    else
      versions[#versions + 1] = redis.call('HINCRBY', key, 'v', 1)
      redis.call('HSET', key, 'd', a)
      if op == 'P' then redis.call('PERSIST', key) end
    end
    if op == 'E' then redis.call('PEXPIRE', key, b) end
  elseif op == 'D' then
    redis.call('DEL', key)
  elseif op == 'I' then
    redis.call('INCRBY', key, a)
  elseif op == 'Z' then
    redis.call('ZADD', key, a, b)
  elseif op == 'R' then
    redis.call('ZREM', key, a)
  elseif op == 'S' then
    ids[#ids + 1] = redis.call('XADD', key, '*', 'event', a)
  end
end
local reply = {1}
for _, v in ipairs(versions) do reply[#reply + 1] = v end
for _, id in ipairs(ids) do reply[#reply + 1] = id end
return reply
)lua";

absl::Status Unavailable() {
  return absl::UnavailableError("storage unavailable");
}

// ---------------------------------------------------------------------------
// Replies.

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

absl::string_view Text(const redisReply* reply) {
  return absl::string_view(reply->str, reply->len);
}

bool IsErrorLike(const redisReply* reply, absl::string_view code) {
  return reply->type == REDIS_REPLY_ERROR &&
         absl::StartsWith(Text(reply), code);
}

// Redis's own words go to the log only: callers get a fixed message, so no
// key or value can leak into an RPC status.
absl::Status StorageError(absl::string_view command, const redisReply* reply) {
  if (reply->type == REDIS_REPLY_ERROR) {
    EMP_LOG(ERROR) << "redis " << command << " failed: " << Text(reply);
  } else {
    EMP_LOG(ERROR) << "redis " << command << ": unexpected reply type "
                   << reply->type;
  }
  return absl::InternalError("storage error");
}

// NOGROUP: the reader never created its group, or the stream was deleted.
absl::Status GroupError(absl::string_view command, const redisReply* reply) {
  if (IsErrorLike(reply, "NOGROUP")) {
    return absl::FailedPreconditionError("no such stream consumer group");
  }
  return StorageError(command, reply);
}

absl::StatusOr<int64_t> ParseInteger(absl::string_view command,
                                     const redisReply* reply) {
  if (reply->type != REDIS_REPLY_INTEGER) return StorageError(command, reply);
  return static_cast<int64_t>(reply->integer);
}

absl::StatusOr<std::vector<std::string>> ParseStrings(absl::string_view command,
                                                      const redisReply* reply) {
  if (reply->type != REDIS_REPLY_ARRAY) return StorageError(command, reply);
  std::vector<std::string> out;
  out.reserve(reply->elements);
  for (size_t i = 0; i < reply->elements; ++i) {
    const redisReply* element = reply->element[i];
    if (element->type != REDIS_REPLY_STRING)
      return StorageError(command, element);
    out.emplace_back(Text(element));
  }
  return out;
}

// A record from the reply to HMGET key v d (or the found record of a failed
// batch, given as its data and version).
absl::StatusOr<std::optional<Record>> ParseRecord(absl::string_view command,
                                                  const redisReply* version,
                                                  const redisReply* data) {
  if (version->type == REDIS_REPLY_NIL) return std::nullopt;
  Record record;
  if (version->type != REDIS_REPLY_STRING ||
      !absl::SimpleAtoi(Text(version), &record.version)) {
    return StorageError(command, version);
  }
  if (data->type == REDIS_REPLY_STRING) record.value = std::string(Text(data));
  return record;
}

absl::StatusOr<std::optional<Record>> ParseHmget(const redisReply* reply) {
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
    return StorageError("HMGET", reply);
  }
  return ParseRecord("HMGET", reply->element[0], reply->element[1]);
}

// Entries as XRANGE and friends give them: [[id, [field, value, ...]], ...].
// Nil entries (deleted while pending) are skipped.
absl::Status AppendEntries(absl::string_view command, const redisReply* reply,
                           std::vector<StreamEntry>& out) {
  if (reply->type == REDIS_REPLY_NIL) return absl::OkStatus();
  if (reply->type != REDIS_REPLY_ARRAY) return StorageError(command, reply);
  for (size_t i = 0; i < reply->elements; ++i) {
    const redisReply* entry = reply->element[i];
    if (entry->type == REDIS_REPLY_NIL) continue;
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 ||
        entry->element[0]->type != REDIS_REPLY_STRING) {
      return StorageError(command, entry);
    }
    const redisReply* fields = entry->element[1];
    if (fields->type == REDIS_REPLY_NIL) continue;
    if (fields->type != REDIS_REPLY_ARRAY) return StorageError(command, fields);
    StreamEntry parsed{std::string(Text(entry->element[0])), ""};
    for (size_t f = 0; f + 1 < fields->elements; f += 2) {
      if (Text(fields->element[f]) == "event") {
        parsed.payload = std::string(Text(fields->element[f + 1]));
      }
    }
    out.push_back(std::move(parsed));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Arguments: the rules both stores share are in store.cc.

absl::StatusOr<int64_t> TtlMillis(absl::Duration ttl) {
  RETURN_IF_ERROR(ValidateTtl(ttl));
  // Rounded up so that a tiny ttl still keeps the key for a moment.
  return absl::ToInt64Milliseconds(absl::Ceil(ttl, absl::Milliseconds(1)));
}

bool ParseDigits(absl::string_view text, uint64_t* out) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) {
        return absl::ascii_isdigit(c);
      })) {
    return false;
  }
  return absl::SimpleAtoi(text, out);
}

// The XRANGE start for entries strictly after `after_id`: "-" for the start
// of the stream ("" or "0-0"), else the canonical id made exclusive.
absl::StatusOr<std::string> RangeStartAfter(absl::string_view after_id) {
  if (after_id.empty()) return std::string("-");
  uint64_t ms = 0;
  uint64_t seq = 0;
  size_t dash = after_id.find('-');
  bool ok = dash == absl::string_view::npos
                ? ParseDigits(after_id, &ms)
                : ParseDigits(after_id.substr(0, dash), &ms) &&
                      ParseDigits(after_id.substr(dash + 1), &seq);
  if (!ok) return absl::InvalidArgumentError("malformed stream entry id");
  if (ms == 0 && seq == 0) return std::string("-");
  return absl::StrCat("(", ms, "-", seq);
}

absl::Status ValidateStreamIds(const std::vector<std::string>& ids) {
  for (const std::string& id : ids) {
    RETURN_IF_ERROR(RangeStartAfter(id).status());
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Commands.

// One command in the Redis protocol (binary safe), formatted on the
// caller's thread so that the I/O thread only copies bytes.
std::string Format(const std::vector<absl::string_view>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (absl::string_view arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  char* formatted = nullptr;
  int length = redisFormatCommandArgv(&formatted, static_cast<int>(argv.size()),
                                      argv.data(), lengths.data());
  // Fails only when out of memory; an empty command would break the
  // reply order of the whole connection, so stop here.
  if (length < 0) EMP_LOG(FATAL) << "out of memory formatting a command";
  std::string command(formatted, static_cast<size_t>(length));
  redisFreeCommand(formatted);
  return command;
}

std::string FormatOwned(const std::vector<std::string>& args) {
  return Format(std::vector<absl::string_view>(args.begin(), args.end()));
}

char OpCode(Op op) {
  switch (op) {
    case Op::kExpectAbsent:
      return 'A';
    case Op::kExpectVersion:
      return 'V';
    case Op::kPut:
      return 'P';
    case Op::kPutWithExpiry:
      return 'E';
    case Op::kDelete:
      return 'D';
    case Op::kIncrement:
      return 'I';
    case Op::kIndexAdd:
      return 'Z';
    case Op::kIndexRemove:
      return 'R';
    case Op::kStreamAppend:
      return 'S';
  }
  return '?';
}

// EVAL/EVALSHA <script or sha> <numkeys> <keys...> <op, a, b per step>.
std::vector<std::string> ScriptCall(const Batch& batch) {
  const std::vector<Batch::Step>& steps = batch.steps();
  std::vector<std::string> args;
  args.reserve(3 + 4 * steps.size());
  args.push_back("EVALSHA");
  args.push_back("");  // script or sha, filled in by the caller
  args.push_back(absl::StrCat(steps.size()));
  for (const Batch::Step& step : steps) args.push_back(step.key);
  for (const Batch::Step& step : steps) {
    std::string a;
    std::string b;
    switch (step.op) {
      case Op::kExpectVersion:
      case Op::kIncrement:
        a = absl::StrCat(step.number);
        break;
      case Op::kPut:
      case Op::kStreamAppend:
        a = step.value;
        break;
      case Op::kPutWithExpiry:
        a = step.value;
        b = absl::StrCat(TtlMillis(step.ttl).value_or(1));  // validated
        break;
      case Op::kIndexAdd:
        a = absl::StrCat(step.number);
        b = step.member;
        break;
      case Op::kIndexRemove:
        a = step.member;
        break;
      case Op::kExpectAbsent:
      case Op::kDelete:
        break;
    }
    args.push_back(std::string(1, OpCode(step.op)));
    args.push_back(std::move(a));
    args.push_back(std::move(b));
  }
  return args;
}

absl::StatusOr<BatchResult> ParseCommitReply(const Batch& batch,
                                             const redisReply* reply) {
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
      reply->element[0]->type != REDIS_REPLY_INTEGER) {
    return StorageError("EVALSHA", reply);
  }
  BatchResult result;
  if (reply->element[0]->integer == 0) {
    if (reply->elements != 4 ||
        reply->element[1]->type != REDIS_REPLY_INTEGER) {
      return StorageError("EVALSHA", reply);
    }
    result.failed_step = static_cast<int>(reply->element[1]->integer);
    ASSIGN_OR_RETURN(result.found, ParseRecord("EVALSHA", reply->element[3],
                                               reply->element[2]));
    return result;
  }
  size_t puts = 0;
  size_t appends = 0;
  for (const Batch::Step& step : batch.steps()) {
    if (step.op == Op::kPut || step.op == Op::kPutWithExpiry) ++puts;
    if (step.op == Op::kStreamAppend) ++appends;
  }
  if (reply->elements != 1 + puts + appends)
    return StorageError("EVALSHA", reply);
  for (size_t i = 1; i <= puts; ++i) {
    ASSIGN_OR_RETURN(int64_t version,
                     ParseInteger("EVALSHA", reply->element[i]));
    result.versions.push_back(version);
  }
  for (size_t i = 1 + puts; i < reply->elements; ++i) {
    const redisReply* id = reply->element[i];
    if (id->type != REDIS_REPLY_STRING) return StorageError("EVALSHA", id);
    result.stream_ids.emplace_back(Text(id));
  }
  result.committed = true;
  return result;
}

// ---------------------------------------------------------------------------
// The connection pool.

// One caller's request: its commands, sent back to back, and their replies.
// Shared between the caller and the I/O thread, so that a caller that gave
// up waiting leaves nothing dangling.
struct Call {
  std::vector<std::string> commands;
  // The caller stops waiting at this time; the I/O thread does not send the
  // commands of a call it picks up later.
  absl::Time deadline;
  // Written by the I/O thread before `done` is notified.
  absl::Status status;
  std::vector<Reply> replies;
  absl::Notification done;
};

void Complete(Call& call, absl::Status status) {
  call.status = std::move(status);
  call.done.Notify();
}

// One Redis connection and the thread that owns it. Everything queued when
// the thread wakes goes out as one pipeline.
class Connection {
 public:
  explicit Connection(const RedisOptions& options)
      : options_(options), thread_([this] { Loop(); }) {}

  ~Connection() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    thread_.join();
  }

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Submit(std::shared_ptr<Call> call) {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      Complete(*call, Unavailable());
      return;
    }
    queue_.push_back(std::move(call));
  }

 private:
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || !queue_.empty();
  }

  void Loop() {
    for (;;) {
      std::vector<std::shared_ptr<Call>> calls;
      bool stopping = false;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(this, &Connection::HasWork));
        calls.swap(queue_);
        stopping = stopping_;
      }
      if (stopping) {
        for (const std::shared_ptr<Call>& call : calls)
          Complete(*call, Unavailable());
        break;
      }
      Serve(std::move(calls));
    }
    Disconnect();
  }

  void Serve(std::vector<std::shared_ptr<Call>> calls) {
    DropAbandoned(calls);
    if (calls.empty()) return;
    if (context_ != nullptr && PeerClosed()) Disconnect();
    if (context_ == nullptr && !Connect()) {
      FailFrom(calls, 0);
      return;
    }
    for (const std::shared_ptr<Call>& call : calls) {
      for (const std::string& command : call->commands) {
        if (redisAppendFormattedCommand(context_, command.data(),
                                        command.size()) != REDIS_OK) {
          LoseConnection();
          FailFrom(calls, 0);
          return;
        }
      }
    }
    // The first redisGetReply writes the whole pipeline, then replies are
    // read in order; each caller is released as soon as its own are in.
    for (size_t i = 0; i < calls.size(); ++i) {
      if (!ReadReplies(*calls[i])) {
        LoseConnection();
        FailFrom(calls, i);
        return;
      }
      calls[i]->done.Notify();
    }
  }

  // A caller that stopped waiting has already answered UNAVAILABLE; sending
  // its writes now would apply them behind its back.
  static void DropAbandoned(std::vector<std::shared_ptr<Call>>& calls) {
    absl::Time now = absl::Now();
    auto abandoned = [now](const std::shared_ptr<Call>& call) {
      if (now < call->deadline) return false;
      Complete(*call, Unavailable());
      return true;
    };
    calls.erase(std::remove_if(calls.begin(), calls.end(), abandoned),
                calls.end());
  }

  static void FailFrom(const std::vector<std::shared_ptr<Call>>& calls,
                       size_t first) {
    for (size_t i = first; i < calls.size(); ++i)
      Complete(*calls[i], Unavailable());
  }

  // True when Redis closed the connection while it sat idle (a restart, an
  // idle timeout): better to reconnect now than to fail the batch on it.
  // Redis sends nothing unasked, so an idle socket that reads is closing.
  bool PeerClosed() const {
    pollfd idle{context_->fd, POLLIN, 0};
    if (poll(&idle, 1, 0) <= 0) return false;
    if ((idle.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) return true;
    char byte;
    ssize_t read = recv(context_->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return read == 0 || (read < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }

  bool ReadReplies(Call& call) {
    call.replies.reserve(call.commands.size());
    for (size_t i = 0; i < call.commands.size(); ++i) {
      void* reply = nullptr;
      if (redisGetReply(context_, &reply) != REDIS_OK) return false;
      call.replies.emplace_back(static_cast<redisReply*>(reply));
    }
    return true;
  }

  // Within reconnect_backoff of a failed attempt, fails at once: a caller
  // must hear UNAVAILABLE quickly while Redis is down.
  bool Connect() {
    if (absl::Now() < retry_after_) return false;
    std::string error;
    redisContext* context =
        redisConnectWithTimeout(options_.host.c_str(), options_.port,
                                absl::ToTimeval(options_.connect_timeout));
    if (context == nullptr) {
      error = "cannot allocate a context";
    } else if (context->err != 0) {
      error = context->errstr;
    } else if (redisSetTimeout(context,
                               absl::ToTimeval(options_.command_timeout)) !=
               REDIS_OK) {
      error = context->errstr;
    } else {
      error = Authenticate(context);
    }
    if (!error.empty()) {
      if (context != nullptr) redisFree(context);
      retry_after_ = absl::Now() + options_.reconnect_backoff;
      // Once per outage, not once per attempt.
      if (!down_) {
        EMP_LOG(WARNING) << "redis " << options_.host << ":" << options_.port
                         << " unavailable: " << error << "; retrying";
      }
      down_ = true;
      return false;
    }
    if (down_) {
      EMP_LOG(INFO) << "redis " << options_.host << ":" << options_.port
                    << " reachable again";
    }
    down_ = false;
    context_ = context;
    return true;
  }

  // "" when authenticated (or no password is set), else why not.
  std::string Authenticate(redisContext* context) {
    if (options_.password.empty()) return "";
    const char* argv[] = {"AUTH", options_.password.data()};
    const size_t lengths[] = {4, options_.password.size()};
    Reply reply(
        static_cast<redisReply*>(redisCommandArgv(context, 2, argv, lengths)));
    if (reply == nullptr) return context->errstr;
    // Redis's text is not logged: it could echo what was sent.
    if (reply->type == REDIS_REPLY_ERROR) return "AUTH refused";
    return "";
  }

  void LoseConnection() {
    EMP_LOG(WARNING) << "redis " << options_.host << ":" << options_.port
                     << " connection lost: " << context_->errstr;
    Disconnect();
  }

  void Disconnect() {
    if (context_ != nullptr) redisFree(context_);
    context_ = nullptr;
  }

  const RedisOptions& options_;
  absl::Mutex mu_;
  std::vector<std::shared_ptr<Call>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Touched by the I/O thread only.
  redisContext* context_ = nullptr;
  absl::Time retry_after_ = absl::InfinitePast();
  bool down_ = false;
  std::thread thread_;  // last: starts once the rest is ready
};

}  // namespace

class RedisStore::Impl {
 public:
  explicit Impl(RedisOptions options) : options_(std::move(options)) {
    for (int i = 0; i < options_.pool_size; ++i) {
      connections_.push_back(std::make_unique<Connection>(options_));
    }
  }

  // Sends the commands as one request (back to back on one connection) and
  // returns their replies in order.
  absl::StatusOr<std::vector<Reply>> Execute(
      std::vector<std::string> commands) {
    auto call = std::make_shared<Call>();
    call->commands = std::move(commands);
    // Give up by our own timeouts, or in time for the call being served to
    // hear UNAVAILABLE before its own deadline, whichever comes first.
    const absl::Time now = absl::Now();
    call->deadline = std::min(
        now + options_.command_timeout + options_.connect_timeout + kWaitMargin,
        CallDeadline::Current() - kAnswerReserve);
    if (call->deadline <= now) return Unavailable();
    size_t next = next_.fetch_add(1, std::memory_order_relaxed);
    connections_[next % connections_.size()]->Submit(call);
    if (!call->done.WaitForNotificationWithDeadline(call->deadline)) {
      return Unavailable();
    }
    // Moved, not copied: the I/O thread may still hold `call`.
    if (!call->status.ok()) return std::move(call->status);
    return std::move(call->replies);
  }

  absl::StatusOr<Reply> ExecuteOne(std::string command) {
    std::vector<std::string> commands;
    commands.push_back(std::move(command));
    ASSIGN_OR_RETURN(std::vector<Reply> replies, Execute(std::move(commands)));
    return std::move(replies.front());
  }

  // The SHA1 Redis knows the commit script by, loaded on first use.
  absl::StatusOr<std::string> ScriptSha() {
    {
      absl::MutexLock lock(&sha_mu_);
      if (!sha_.empty()) return sha_;
    }
    ASSIGN_OR_RETURN(Reply reply,
                     ExecuteOne(Format({"SCRIPT", "LOAD", kCommitScript})));
    if (reply->type != REDIS_REPLY_STRING)
      return StorageError("SCRIPT LOAD", reply.get());
    absl::MutexLock lock(&sha_mu_);
    sha_ = std::string(Text(reply.get()));
    return sha_;
  }

 private:
  const RedisOptions options_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::atomic<size_t> next_{0};
  absl::Mutex sha_mu_;
  std::string sha_ ABSL_GUARDED_BY(sha_mu_);
};

std::unique_ptr<RedisStore> RedisStore::Create(RedisOptions options) {
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { std::signal(SIGPIPE, SIG_IGN); });
  options.pool_size = std::max(1, options.pool_size);
  return std::unique_ptr<RedisStore>(
      new RedisStore(std::make_unique<Impl>(std::move(options))));
}

RedisStore::RedisStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RedisStore::~RedisStore() = default;

absl::StatusOr<std::optional<Record>> RedisStore::Get(const std::string& key) {
  ASSIGN_OR_RETURN(Reply reply,
                   impl_->ExecuteOne(Format({"HMGET", key, "v", "d"})));
  return ParseHmget(reply.get());
}

absl::StatusOr<std::vector<std::optional<Record>>> RedisStore::GetMany(
    const std::vector<std::string>& keys) {
  std::vector<std::optional<Record>> records;
  if (keys.empty()) return records;
  std::vector<std::string> commands;
  commands.reserve(keys.size());
  for (const std::string& key : keys) {
    commands.push_back(Format({"HMGET", key, "v", "d"}));
  }
  ASSIGN_OR_RETURN(std::vector<Reply> replies,
                   impl_->Execute(std::move(commands)));
  records.reserve(replies.size());
  for (const Reply& reply : replies) {
    ASSIGN_OR_RETURN(std::optional<Record> record, ParseHmget(reply.get()));
    records.push_back(std::move(record));
  }
  return records;
}

absl::StatusOr<BatchResult> RedisStore::Commit(const Batch& batch) {
  RETURN_IF_ERROR(ValidateBatch(batch));
  if (batch.empty()) {
    BatchResult result;
    result.committed = true;
    return result;
  }
  ASSIGN_OR_RETURN(std::string sha, impl_->ScriptSha());
  std::vector<std::string> args = ScriptCall(batch);
  args[1] = sha;
  ASSIGN_OR_RETURN(Reply reply, impl_->ExecuteOne(FormatOwned(args)));
  if (IsErrorLike(reply.get(), "NOSCRIPT")) {
    // Redis restarted or flushed its scripts; EVAL loads the script again.
    args[0] = "EVAL";
    args[1] = kCommitScript;
    ASSIGN_OR_RETURN(reply, impl_->ExecuteOne(FormatOwned(args)));
  }
  return ParseCommitReply(batch, reply.get());
}

absl::StatusOr<int64_t> RedisStore::Increment(const std::string& key,
                                              int64_t delta) {
  ASSIGN_OR_RETURN(
      Reply reply,
      impl_->ExecuteOne(Format({"INCRBY", key, absl::StrCat(delta)})));
  return ParseInteger("INCRBY", reply.get());
}

absl::StatusOr<bool> RedisStore::SetIfAbsent(const std::string& key,
                                             const std::string& value,
                                             absl::Duration ttl) {
  ASSIGN_OR_RETURN(int64_t ttl_ms, TtlMillis(ttl));
  ASSIGN_OR_RETURN(Reply reply,
                   impl_->ExecuteOne(Format(
                       {"SET", key, value, "NX", "PX", absl::StrCat(ttl_ms)})));
  if (reply->type == REDIS_REPLY_NIL) return false;
  if (reply->type == REDIS_REPLY_STATUS) return true;
  return StorageError("SET", reply.get());
}

absl::StatusOr<std::vector<std::string>> RedisStore::IndexRange(
    const std::string& index, const std::string& after, int limit) {
  RETURN_IF_ERROR(ValidateLimit(limit));
  std::string start = after.empty() ? "-" : absl::StrCat("(", after);
  ASSIGN_OR_RETURN(
      Reply reply,
      impl_->ExecuteOne(Format({"ZRANGEBYLEX", index, start, "+", "LIMIT", "0",
                                absl::StrCat(limit)})));
  return ParseStrings("ZRANGEBYLEX", reply.get());
}

absl::StatusOr<std::vector<std::string>> RedisStore::IndexRangeByScore(
    const std::string& index, int64_t min_score, int64_t max_score, int limit) {
  RETURN_IF_ERROR(ValidateLimit(limit));
  ASSIGN_OR_RETURN(
      Reply reply,
      impl_->ExecuteOne(Format({"ZRANGEBYSCORE", index, absl::StrCat(min_score),
                                absl::StrCat(max_score), "LIMIT", "0",
                                absl::StrCat(limit)})));
  return ParseStrings("ZRANGEBYSCORE", reply.get());
}

absl::StatusOr<int64_t> RedisStore::IndexSize(const std::string& index) {
  ASSIGN_OR_RETURN(Reply reply, impl_->ExecuteOne(Format({"ZCARD", index})));
  return ParseInteger("ZCARD", reply.get());
}

absl::StatusOr<std::vector<StreamEntry>> RedisStore::StreamRead(
    const std::string& stream, const std::string& after_id, int limit) {
  RETURN_IF_ERROR(ValidateLimit(limit));
  ASSIGN_OR_RETURN(std::string start, RangeStartAfter(after_id));
  ASSIGN_OR_RETURN(Reply reply,
                   impl_->ExecuteOne(Format({"XRANGE", stream, start, "+",
                                             "COUNT", absl::StrCat(limit)})));
  std::vector<StreamEntry> entries;
  RETURN_IF_ERROR(AppendEntries("XRANGE", reply.get(), entries));
  return entries;
}

absl::Status RedisStore::StreamGroupCreate(const std::string& stream,
                                           const std::string& group) {
  ASSIGN_OR_RETURN(Reply reply,
                   impl_->ExecuteOne(Format(
                       {"XGROUP", "CREATE", stream, group, "0", "MKSTREAM"})));
  if (reply->type == REDIS_REPLY_STATUS ||
      IsErrorLike(reply.get(), "BUSYGROUP")) {
    return absl::OkStatus();
  }
  return StorageError("XGROUP CREATE", reply.get());
}

absl::StatusOr<std::vector<StreamEntry>> RedisStore::StreamReadGroup(
    const std::string& stream, const std::string& group,
    const std::string& consumer, int limit) {
  RETURN_IF_ERROR(ValidateLimit(limit));
  // Never BLOCK: a blocked connection would stall everyone's pipeline.
  ASSIGN_OR_RETURN(
      Reply reply,
      impl_->ExecuteOne(Format({"XREADGROUP", "GROUP", group, consumer, "COUNT",
                                absl::StrCat(limit), "STREAMS", stream, ">"})));
  std::vector<StreamEntry> entries;
  if (reply->type == REDIS_REPLY_NIL) return entries;
  // [[stream, entries]]
  if (reply->type != REDIS_REPLY_ARRAY)
    return GroupError("XREADGROUP", reply.get());
  for (size_t i = 0; i < reply->elements; ++i) {
    const redisReply* per_stream = reply->element[i];
    if (per_stream->type != REDIS_REPLY_ARRAY || per_stream->elements != 2) {
      return StorageError("XREADGROUP", per_stream);
    }
    RETURN_IF_ERROR(
        AppendEntries("XREADGROUP", per_stream->element[1], entries));
  }
  return entries;
}

absl::Status RedisStore::StreamAck(const std::string& stream,
                                   const std::string& group,
                                   const std::vector<std::string>& ids) {
  RETURN_IF_ERROR(ValidateStreamIds(ids));
  if (ids.empty()) return absl::OkStatus();
  std::vector<absl::string_view> args = {"XACK", stream, group};
  args.insert(args.end(), ids.begin(), ids.end());
  ASSIGN_OR_RETURN(Reply reply, impl_->ExecuteOne(Format(args)));
  return ParseInteger("XACK", reply.get()).status();
}

absl::StatusOr<std::vector<StreamEntry>> RedisStore::StreamClaimIdle(
    const std::string& stream, const std::string& group,
    const std::string& consumer, absl::Duration min_idle, int limit) {
  RETURN_IF_ERROR(ValidateLimit(limit));
  int64_t min_idle_ms =
      std::max<int64_t>(0, absl::ToInt64Milliseconds(min_idle));
  ASSIGN_OR_RETURN(
      Reply reply,
      impl_->ExecuteOne(Format({"XAUTOCLAIM", stream, group, consumer,
                                absl::StrCat(min_idle_ms), "0-0", "COUNT",
                                absl::StrCat(limit)})));
  // Redis 7: [next cursor, claimed entries, ids of deleted entries].
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2) {
    return GroupError("XAUTOCLAIM", reply.get());
  }
  std::vector<StreamEntry> entries;
  RETURN_IF_ERROR(AppendEntries("XAUTOCLAIM", reply->element[1], entries));
  return entries;
}

absl::Status RedisStore::Ping() {
  ASSIGN_OR_RETURN(Reply reply, impl_->ExecuteOne(Format({"PING"})));
  if (reply->type == REDIS_REPLY_STATUS) return absl::OkStatus();
  return StorageError("PING", reply.get());
}

absl::StatusOr<RedisOptions> ParseRedisAddress(absl::string_view setting,
                                               absl::string_view address) {
  size_t colon = address.rfind(':');
  absl::string_view host =
      colon == absl::string_view::npos ? "" : address.substr(0, colon);
  // "[::1]:6379": brackets keep an IPv6 address apart from the port.
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  uint64_t port = 0;
  if (host.empty() || !ParseDigits(address.substr(colon + 1), &port) ||
      port == 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(setting, ": expected host:port, got \"", address, "\""));
  }
  RedisOptions options;
  options.host = std::string(host);
  options.port = static_cast<int>(port);
  return options;
}

}  // namespace employability::storage
