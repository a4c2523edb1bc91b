package check

import (
	"bufio"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

const repoRoot = "../.."

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, ...
	args string
}

// readDockerfile splits a Dockerfile into instructions, grouped by stage.
func readDockerfile(t *testing.T, path string) (stages [][]instruction, global []instruction) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var all []instruction
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue // a comment inside a continued instruction
		}
		if more, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(more + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		all = append(all, instruction{strings.ToUpper(cmd), strings.TrimSpace(args)})
		cur.Reset()
	}
	for _, in := range all {
		if in.cmd == "FROM" {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			global = append(global, in)
			continue
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
	}
	return stages, global
}

func find(ins []instruction, cmd string) []instruction {
	var out []instruction
	for _, in := range ins {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

func TestDockerfile(t *testing.T) {
	stages, global := readDockerfile(t, "../Dockerfile")
	if len(stages) < 2 {
		t.Fatalf("want a build stage and a final stage, got %d stages", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]

	// The build stage: the one build command, with the version stamped.
	runs := find(build, "RUN")
	if !slices.ContainsFunc(runs, func(in instruction) bool {
		return strings.Contains(in.args, "deploy/build.sh") && strings.Contains(in.args, "VERSION=$VERSION")
	}) {
		t.Error("the build stage must run deploy/build.sh with VERSION=$VERSION")
	}
	if !slices.ContainsFunc(find(build, "ARG"), func(in instruction) bool { return strings.HasPrefix(in.args, "VERSION") }) {
		t.Error("the build stage needs ARG VERSION")
	}

	// The toolchain is at least the one go.mod asks for.
	goVersion := ""
	for _, in := range find(global, "ARG") {
		if v, ok := strings.CutPrefix(in.args, "GO_VERSION="); ok {
			goVersion = v
		}
	}
	if want := goModVersion(t); goVersion == "" || compareVersions(goVersion, want) < 0 {
		t.Errorf("ARG GO_VERSION=%q: go.mod wants go %s or later", goVersion, want)
	}

	// The final stage: distroless, non-root, the binary as entry point.
	from := strings.Fields(final[0].args)
	if from[len(from)-1] != "gcr.io/distroless/static-debian12:nonroot" {
		t.Errorf("final stage FROM %q, want gcr.io/distroless/static-debian12:nonroot", final[0].args)
	}
	if !slices.ContainsFunc(find(final, "COPY"), func(in instruction) bool {
		return strings.HasPrefix(in.args, "--from=") && strings.HasSuffix(in.args, " /wabulk")
	}) {
		t.Error("the final stage must copy the binary to /wabulk")
	}
	users := find(final, "USER")
	if len(users) == 0 || !strings.HasPrefix(users[len(users)-1].args, "nonroot") && !strings.HasPrefix(users[len(users)-1].args, "65532") {
		t.Error("the final stage must run as nonroot")
	}
	var entry []string
	if ep := find(final, "ENTRYPOINT"); len(ep) != 1 || json.Unmarshal([]byte(ep[0].args), &entry) != nil || !slices.Equal(entry, []string{"/wabulk"}) {
		t.Errorf(`want ENTRYPOINT ["/wabulk"] (exec form), got %v`, ep)
	}

	// deploy/build.sh builds the binary as the image needs it: static,
	// trimmed, version stamped into a variable that exists.
	script, err := os.ReadFile("../build.sh")
	if err != nil {
		t.Fatal(err)
	}
	goBuild := goBuildLine(string(script))
	for _, want := range []string{"CGO_ENABLED=0 ", "go build ", " -trimpath ", "-X main.version=", " ./cmd/wabulk"} {
		if !strings.Contains(goBuild, want) {
			t.Errorf("deploy/build.sh: its go build command %q lacks %q", goBuild, want)
		}
	}
	if !mainHasVersionVar(t) {
		t.Error("cmd/wabulk declares no package-level var version for -X main.version")
	}
}

// goBuildLine is the shell script's go build command, continuation lines
// joined, comments left out.
func goBuildLine(script string) string {
	var cmd strings.Builder
	for line := range strings.SplitSeq(script, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") {
			continue
		}
		if more, ok := strings.CutSuffix(line, `\`); ok {
			cmd.WriteString(more + " ")
			continue
		}
		cmd.WriteString(line)
		if strings.Contains(cmd.String(), "go build") {
			return cmd.String()
		}
		cmd.Reset()
	}
	return ""
}

// goModVersion is the main module's go line.
func goModVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	return string(m[1])
}

// compareVersions compares dotted numbers: 1.26.8 < 1.26.10.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

func mainHasVersionVar(t *testing.T) bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "cmd", "wabulk", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^var version\b`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if re.Match(b) {
			return true
		}
	}
	return false
}

// TestDockerignore: the build context holds what `go build ./cmd/wabulk`
// needs and none of the rest.
func TestDockerignore(t *testing.T) {
	f, err := os.Open(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	ignored := func(p string) bool {
		m, err := pm.MatchesOrParentMatches(p)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, p := range []string{"go.mod", "go.sum", "deploy/build.sh", "cmd/wabulk/main.go"} {
		if ignored(p) {
			t.Errorf(".dockerignore leaves %s out of the build context", p)
		}
	}
	for _, p := range []string{".git/HEAD", "bin/wabulk", "deploy/check/go.mod", "deploy/compose.yaml", "demo-out/x.csv"} {
		if !ignored(p) {
			t.Errorf(".dockerignore sends %s to the build context", p)
		}
	}
	// Every Go source of the main module reaches the build.
	err = filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() && (rel == ".git" || rel == "deploy") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(rel, ".go") && ignored(rel) {
			t.Errorf(".dockerignore leaves %s out of the build context", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
