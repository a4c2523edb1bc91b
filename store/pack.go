package store

import (
	"encoding/json"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"

	"github.com/wabulk/wabulk/message"
)

// A message record is one packed string: its fields joined by the unit
// separator (0x1F), trailing empty fields left out, so that a queued
// campaign record is ~30 bytes and a campaign's bucket hash stays a
// listpack (Redis's compact encoding, up to hash-max-listpack-value bytes
// per value). Times are base-36 milliseconds: the creation time, and the
// last change as an offset from it. The same encoding is read and written
// by the Lua scripts (luaRecord) and by Go (packRecord, unpackRecord).
const sep = "\x1f"

// The packed fields, in order.
const (
	fStatus   = iota // one-letter status code (statusCodes)
	fAttempts        // "" is 0
	fCreated         // base-36 ms since the Unix epoch
	fUpdated         // base-36 ms after fCreated; "" is 0
	fRun             // runTag of the import run that created or last saw it
	fCode            // last error code
	fFlags           // "f" fallback, "r" retryable
	fRetries         // "" is 0
	fPMID            // the provider's message id
	fVals            // the row's values, JSON; "" none
	fError           // last error text
	fReq             // NewRecord.Request
	fAccount         // the account, where the campaign's does not say it
	fTo              // the recipient, for a message outside campaigns
	nFields
)

// statusCodes are the one-letter codes of the statuses in a packed record.
var statusCodes = map[message.Status]string{
	message.Queued: "q", message.Sending: "s", message.Accepted: "a", message.Sent: "t",
	message.Delivered: "d", message.Read: "r", message.Failed: "f", message.Expired: "e",
	message.WindowClosed: "w", message.OptedOut: "o", message.Invalid: "i", message.Cancelled: "c",
}

var statusOfCode = func() map[string]message.Status {
	m := make(map[string]message.Status, len(statusCodes))
	for s, c := range statusCodes {
		m[c] = s
	}
	return m
}()

// clean keeps a value out of the packing: the separator becomes a space.
func clean(s string) string { return strings.ReplaceAll(s, sep, " ") }

// runTag is the short tag of an import run kept in a record: a re-import
// tells "seen in this run" (a duplicate row) from "seen in an earlier run"
// (already present) by it. Two runs sharing a tag (1 in 60 million) only
// report an earlier run's record as a duplicate.
func runTag(run string) string {
	if run == "" {
		return ""
	}
	h := fnv.New32a()
	h.Write([]byte(run))
	return strconv.FormatUint(uint64(h.Sum32()%60_000_000), 36)
}

func b36(v int64) string { return strconv.FormatInt(v, 36) }

func fromB36(s string) int64 {
	v, _ := strconv.ParseInt(s, 36, 64)
	return v
}

// packFields joins f, leaving out trailing empty fields.
func packFields(f []string) string {
	n := len(f)
	for n > 1 && f[n-1] == "" {
		n--
	}
	return strings.Join(f[:n], sep)
}

// unpackFields splits a packed record into nFields fields.
func unpackFields(v string) []string {
	f := strings.SplitN(v, sep, nFields)
	for len(f) < nFields {
		f = append(f, "")
	}
	return f
}

// unpackRecord reads the packed record of message id; account is its
// campaign's account (used when the record names none).
func unpackRecord(id, v, account string) *Record {
	f := unpackFields(v)
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	created := fromB36(f[fCreated])
	r := &Record{
		ID:                id,
		Account:           account,
		Status:            statusOfCode[f[fStatus]],
		Attempts:          atoi(f[fAttempts]),
		ErrorCode:         f[fCode],
		Error:             f[fError],
		ProviderMessageID: f[fPMID],
		Fallback:          strings.Contains(f[fFlags], "f"),
		Retryable:         strings.Contains(f[fFlags], "r"),
		Retries:           atoi(f[fRetries]),
		CreatedAt:         fromMS(created),
		UpdatedAt:         fromMS(created + fromB36(f[fUpdated])),
	}
	if f[fAccount] != "" {
		r.Account = f[fAccount]
	}
	if c, to, ok := splitID(id); ok {
		r.CampaignID, r.To = c, to
	} else {
		r.To = f[fTo]
	}
	if f[fVals] != "" {
		r.Values = []string{}
		if err := json.Unmarshal([]byte(f[fVals]), &r.Values); err != nil {
			r.Values = nil
		}
	}
	return r
}

// luaRecord is the Lua side of the packing, prepended to every script that
// reads or writes a record. A record lives in a campaign bucket's field
// (RF names it) or, for a message outside campaigns, in a string key of its
// own (RF is "").
func luaRecord() string {
	var b strings.Builder
	b.WriteString("local NF = " + strconv.Itoa(nFields) + "\n")
	b.WriteString("local SEP = '\\31'\n")
	names := make([]string, 0, len(statusCodes))
	for s := range statusCodes {
		names = append(names, string(s))
	}
	sort.Strings(names)
	b.WriteString("local CODE, NAME = {}, {}\n")
	for _, s := range names {
		c := statusCodes[message.Status(s)]
		b.WriteString("CODE['" + s + "'] = '" + c + "'; NAME['" + c + "'] = '" + s + "'\n")
	}
	// Field positions, 1-based.
	for i, n := range []string{"STATUS", "ATTEMPTS", "CREATED", "UPDATED", "RUN", "CODE_", "FLAGS", "RETRIES",
		"PMID", "VALS", "ERROR", "REQ", "ACCOUNT", "TO"} {
		b.WriteString("local F_" + n + " = " + strconv.Itoa(i+1) + "\n")
	}
	b.WriteString(`
local function runpack(v)
  local t = {}
  for f in (v .. SEP):gmatch('([^\31]*)\31') do t[#t + 1] = f end
  for i = #t + 1, NF do t[i] = '' end
  return t
end
local function rpack(t)
  local n = NF
  while n > 1 and (t[n] == nil or t[n] == '') do n = n - 1 end
  for i = 1, n do if t[i] == nil then t[i] = '' end end
  return table.concat(t, SEP, 1, n)
end
local function b36(n)
  n = math.floor(tonumber(n) or 0)
  if n <= 0 then return '0' end
  local d, s = '0123456789abcdefghijklmnopqrstuvwxyz', ''
  while n > 0 do
    local r = n % 36
    s = d:sub(r + 1, r + 1) .. s
    n = math.floor(n / 36)
  end
  return s
end
local function rload(key, field)
  if field == '' then return redis.call('GET', key) end
  return redis.call('HGET', key, field)
end
local function rsave(key, field, t)
  if field == '' then
    redis.call('SET', key, rpack(t), 'KEEPTTL')
  else
    redis.call('HSET', key, field, rpack(t))
  end
end
local function flagset(t, c)
  if not string.find(t[F_FLAGS], c, 1, true) then t[F_FLAGS] = t[F_FLAGS] .. c end
end
local function flagclear(t, c)
  t[F_FLAGS] = string.gsub(t[F_FLAGS], c, '')
end
`)
	return b.String()
}
