# frozen_string_literal: true

# Prepares a fresh Redmine for scripts/test-redmine (run with `rails runner`): Japanese as the
# default language, the admin's password, a project with the seikyu module, a user whose role
# holds "View billing" and one whose role does not. Passwords come from the environment:
# SEIKYU_TEST_ADMIN_PASSWORD, SEIKYU_TEST_VIEWER_PASSWORD, SEIKYU_TEST_OTHER_PASSWORD.
# Prints one JSON line: what the checks need to know.
require "json"

plugin = Redmine::Plugin.find(:redmine_seikyu)
# Before anyone is given it: which roles hold the plugin's permission out of the box (none should).
by_default = Role.all.select { |role| role.has_permission?(:view_seikyu_billing) }.map(&:name)

Setting.default_language = "ja"

admin = User.find_by_login("admin")
admin.password = admin.password_confirmation = ENV.fetch("SEIKYU_TEST_ADMIN_PASSWORD")
admin.must_change_passwd = false
admin.language = "ja"
admin.save!

project = Project.find_by(identifier: "billing") ||
          Project.create!(name: "請求デモ", identifier: "billing", is_public: false,
                          enabled_module_names: %w[issue_tracking seikyu])

viewer_role = Role.find_by(name: "請求閲覧者") ||
              Role.create!(name: "請求閲覧者", assignable: false, permissions: %i[view_project view_seikyu_billing])
# Redmine's default "Developer" (開発者), which knows nothing of the plugin.
other_role = Role.givable.detect { |role| role.name == I18n.t(:default_role_developer, locale: :ja) } ||
             Role.create!(name: "開発者", permissions: %i[view_issues])

def user(login, first, last, password)
  User.find_by_login(login) || User.new(firstname: first, lastname: last, language: "ja").tap do |u|
    u.login = login
    u.mail = "#{login}@example.jp"
    u.password = u.password_confirmation = password
    u.save!
  end
end

viewer = user("keiri", "花子", "経理", ENV.fetch("SEIKYU_TEST_VIEWER_PASSWORD"))
other = user("kaihatsu", "太郎", "開発", ENV.fetch("SEIKYU_TEST_OTHER_PASSWORD"))
[[viewer, viewer_role], [other, other_role]].each do |u, role|
  Member.create!(project: project, principal: u, role_ids: [role.id]) unless Member.exists?(project: project, user_id: u.id)
end

puts JSON.generate(
  "plugin" => plugin.name, "version" => plugin.version,
  "rolesWithPermissionByDefault" => by_default,
  "project" => project.identifier,
  "viewerAllowed" => viewer.allowed_to?(:view_seikyu_billing, project),
  "otherAllowed" => other.allowed_to?(:view_seikyu_billing, project),
  "otherRole" => other_role.name
)
