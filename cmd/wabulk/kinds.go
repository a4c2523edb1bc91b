package main

// The provider kinds this binary speaks: each adapter registers its kind
// (providers.Register). Adding a provider is its folder and one line here.
import (
	_ "github.com/wabulk/wabulk/providers/decisiontelecom"
	_ "github.com/wabulk/wabulk/providers/meta"
	_ "github.com/wabulk/wabulk/providers/modica"
	_ "github.com/wabulk/wabulk/providers/socnet"
	_ "github.com/wabulk/wabulk/providers/taqnyat"
	_ "github.com/wabulk/wabulk/providers/tujenge"
)
