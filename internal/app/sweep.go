package app

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/store"
)

// RunSweeper, every interval, lets one worker of the fleet (whichever
// takes the turn in Redis) give a task back to each queued message left
// without one for longer than after (producer.Sweep), in every campaign
// with messages queued. It returns when ctx ends; interval 0 runs
// nothing.
func RunSweeper(ctx context.Context, st *store.Store, p *producer.Producer, interval, after time.Duration, log *zap.Logger) {
	if interval <= 0 {
		return
	}
	log = log.Named("sweep")
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// One sweeper a turn: the turn lasts the interval.
		ok, err := st.Redis().SetNX(ctx, st.Prefix()+"sweep:turn", "1", interval).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			log.Warn("could not take the sweep's turn", zap.Error(err))
			continue
		}
		if !ok {
			continue
		}
		sweepOnce(ctx, st, p, after, log)
	}
}

func sweepOnce(ctx context.Context, st *store.Store, p *producer.Producer, after time.Duration, log *zap.Logger) {
	if n, err := p.SweepDirect(ctx, after, 10_000); err != nil {
		log.Warn("sweep of API messages failed", zap.Error(err))
	} else if n > 0 {
		log.Warn("API messages queued without a task settled failed (no_task): their send stopped between record and task",
			zap.Int64("settled", n))
	}
	ids, err := st.Campaigns(ctx)
	if err != nil {
		log.Warn("could not list campaigns", zap.Error(err))
		return
	}
	for _, id := range ids {
		counts, err := st.CampaignCounts(ctx, id)
		if err != nil || counts[message.Queued] == 0 {
			continue
		}
		res, err := p.Sweep(ctx, id, after)
		if err != nil {
			log.Warn("sweep failed", zap.String("campaign", id), zap.Error(err))
			continue
		}
		if res.Reenqueued > 0 || res.Unrenderable > 0 {
			log.Warn("queued messages without a task found and enqueued again (an import or a send died between record and task)",
				zap.String("campaign", id), zap.Int64("reenqueued", res.Reenqueued), zap.Int64("cannot_render", res.Unrenderable))
		}
	}
}
