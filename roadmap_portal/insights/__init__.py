"""What the portal reports: each roadmap's cooperation volume against its targets, the
dashboards of a region, a corporation group and the whole portal with their charts, the
yearly reports built as PDF, the deadlines ahead and each role's home page. It reads the
core and the domain apps; none of them imports it."""
