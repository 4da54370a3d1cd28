module github.com/workspace-manager/agent

go 1.22
