package message_test

import (
	"errors"
	"fmt"

	"github.com/wabulk/wabulk/message"
)

func ExampleNormalizePhone() {
	for _, raw := range []string{"+255 712-345-678", "0712 345 678", "00255712345678"} {
		e164, err := message.NormalizePhone(raw, "TZ")
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(e164, message.WaID(e164))
	}

	_, err := message.NormalizePhone("0712 345 678", "")
	fmt.Println(errors.Is(err, message.ErrNoRegion))
	// Output:
	// +255712345678 255712345678
	// +255712345678 255712345678
	// +255712345678 255712345678
	// true
}
