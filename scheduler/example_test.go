package scheduler_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/scheduler"
	"github.com/wabulk/wabulk/store"
)

// A job's cron is read in its own time zone: weekdays at 09:00 in Dar es
// Salaam. On a Saturday the latest fire time is Friday's and the next is
// Monday's; each fire time names one occurrence.
func ExampleParseSchedule() {
	dar, err := time.LoadLocation("Africa/Dar_es_Salaam")
	if err != nil {
		log.Fatal(err)
	}
	s, err := scheduler.ParseSchedule("0 9 * * MON-FRI", dar)
	if err != nil {
		log.Fatal(err)
	}
	saturday := time.Date(2026, 11, 21, 15, 0, 0, 0, dar)
	latest, _ := s.Latest(saturday)
	fmt.Println(s.Cronspec())
	fmt.Println("latest:", latest.Format(time.RFC1123Z))
	fmt.Println("next:  ", s.Next(saturday).Format(time.RFC1123Z))
	fmt.Println(scheduler.OccurrenceID("dental-reminder", latest))
	// Output:
	// CRON_TZ=Africa/Dar_es_Salaam 0 9 * * MON-FRI
	// latest: Fri, 20 Nov 2026 09:00:00 +0300
	// next:   Mon, 23 Nov 2026 09:00:00 +0300
	// dental-reminder.20261120T060000Z
}

// One occurrence of a reminder job expanded into its campaign: every row
// of the audience file becomes a queued message on lane high, rendered
// from the row, and expanding the same occurrence again (another
// scheduler replica, a retry) creates nothing. Here on an in-process
// miniredis; the workers then send the messages.
func ExampleReminders_Expand() {
	mr, err := miniredis.Run()
	if err != nil {
		log.Fatal(err)
	}
	defer mr.Close()
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()
	ctx := context.Background()
	const prefix = "example:"

	dir, err := os.MkdirTemp("", "reminders")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	audience := filepath.Join(dir, "patients.csv")
	rows := "phone,name,time\n+255712300001,Amina,09:30\n+255712300002,Baraka,10:15\nnot-a-phone,Nobody,11:00\n"
	if err := os.WriteFile(audience, []byte(rows), 0o600); err != nil {
		log.Fatal(err)
	}

	st := store.New(rdb, store.Config{Prefix: prefix})
	client := asynq.NewClientFromRedisClient(rdb)
	prod := producer.New(st, client, producer.Config{Prefix: prefix})
	job := scheduler.Job{ID: "dental-reminder", Cron: "0 9 * * MON-FRI", Location: time.UTC, Audience: audience,
		Spec: producer.Spec{Account: "tujenge-main", TTL: producer.Duration(6 * time.Hour), Message: message.Content{
			Template: &message.Template{Name: "appointment_reminder", Language: "en", Body: []string{"{{name}}", "{{time}}"}}}}}
	fire := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	r, err := scheduler.NewReminders(rdb, prod, scheduler.RemindersConfig{Jobs: []scheduler.Job{job}, Prefix: prefix,
		Now: func() time.Time { return fire.Add(time.Second) }})
	if err != nil {
		log.Fatal(err)
	}

	for range 2 {
		occ, err := r.Expand(ctx, "dental-reminder", fire)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %d accepted, %d already present, %d rejected\n",
			occ.Campaign, occ.Accepted, occ.AlreadyPresent, occ.Rejected)
	}
	tasks, err := asynq.NewInspectorFromRedisClient(rdb).ListPendingTasks(message.QueueName(prefix, message.LaneHigh))
	if err != nil {
		log.Fatal(err)
	}
	var lines []string
	for _, ti := range tasks {
		m, err := message.DecodeSendTask(ti.Payload)
		if err != nil {
			log.Fatal(err)
		}
		lines = append(lines, fmt.Sprint(m.ID, " ", m.Content.Template.Body, " expires ", m.ExpiresAt.UTC().Format(time.RFC3339)))
	}
	slices.Sort(lines)
	fmt.Println(strings.Join(lines, "\n"))
	// Output:
	// dental-reminder.20261123T090000Z: 2 accepted, 0 already present, 1 rejected
	// dental-reminder.20261123T090000Z: 0 accepted, 2 already present, 1 rejected
	// dental-reminder.20261123T090000Z:+255712300001 [Amina 09:30] expires 2026-11-23T15:00:00Z
	// dental-reminder.20261123T090000Z:+255712300002 [Baraka 10:15] expires 2026-11-23T15:00:00Z
}
