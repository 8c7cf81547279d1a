package catalog

// IndexWrites counts the documents reindex has written or deleted.
func IndexWrites(s *Service) int {
	s.index.mu.Lock()
	defer s.index.mu.Unlock()
	return s.index.writes
}
