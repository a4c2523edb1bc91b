package loadtest

// The provider kinds the runs simulate, as the binary carries them.
import (
	_ "github.com/wabulk/wabulk/providers/decisiontelecom"
	_ "github.com/wabulk/wabulk/providers/meta"
	_ "github.com/wabulk/wabulk/providers/modica"
	_ "github.com/wabulk/wabulk/providers/socnet"
	_ "github.com/wabulk/wabulk/providers/taqnyat"
	_ "github.com/wabulk/wabulk/providers/tujenge"
)
