package check

// The provider kinds the wabulk binary speaks (cmd/wabulk/kinds.go), so
// that the configs here are parsed as the binary parses them.
import (
	_ "github.com/wabulk/wabulk/providers/decisiontelecom"
	_ "github.com/wabulk/wabulk/providers/meta"
	_ "github.com/wabulk/wabulk/providers/modica"
	_ "github.com/wabulk/wabulk/providers/socnet"
	_ "github.com/wabulk/wabulk/providers/taqnyat"
	_ "github.com/wabulk/wabulk/providers/tujenge"
)
