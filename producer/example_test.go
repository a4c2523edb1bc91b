package producer_test

import (
	"fmt"

	"github.com/wabulk/wabulk/producer"
)

func ExampleParseSpec() {
	spec, err := producer.ParseSpec([]byte(`
id: spring-sale-2026
account: tujenge-main
sender: "+255 700 000 001"
ttl: 2d
priority: low
default_region: TZ
message:
  template:
    name: spring_sale
    language: en
    body: ["{{first_name}}", "{{discount}}%"]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(spec.ID, spec.Account, spec.Message.Kind(), spec.Message.Template.Body, spec.TTL, spec.Priority)

	_, err = producer.ParseSpec([]byte("id: x\naccount: a\nmessage: {text: {body: hi}}\nttl: 1 week\n"))
	fmt.Println(err)
	// Output:
	// spring-sale-2026 tujenge-main template [{{first_name}} {{discount}}%] 48h low
	// line 4: bad duration "1 week": want a Go duration such as 24h, 90m or 1h30m, or days such as 2d
}
