// Package loader batches the catalog reads that GraphQL fields make one
// video at a time (categories, genres, cast members, the caller's tags) into
// one catalog call per batch window, with github.com/graph-gophers/dataloader.
// A Loaders lives for one GraphQL operation and travels in its context.
package loader
