#include "namefield.h"

#include "names.h"

#include <QLabel>
#include <QLineEdit>
#include <QVBoxLayout>

namespace Hamlet {

NameField::NameField(const QString &suggestion, QWidget *parent)
    : QWidget(parent)
    , m_edit(new QLineEdit(suggestion, this))
    , m_problem(new QLabel(this))
{
    m_edit->setObjectName(QStringLiteral("name"));
    m_edit->setPlaceholderText(tr("letters, digits, '.', '_' or '-'"));
    m_problem->setObjectName(QStringLiteral("nameProblem"));
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(QStringLiteral("color: #b3261e;"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_edit);
    layout->addWidget(m_problem);
    connect(m_edit, &QLineEdit::textChanged, this, [this] {
        check();
        Q_EMIT changed();
    });
    check();
}

QString NameField::name() const
{
    return m_edit->text();
}

void NameField::setName(const QString &name)
{
    m_edit->setText(name);
}

bool NameField::isValid() const
{
    return problem().isEmpty();
}

QString NameField::problem() const
{
    return instanceNameProblem(m_edit->text());
}

void NameField::check()
{
    const QString why = problem();
    m_problem->setText(why);
    m_problem->setVisible(!why.isEmpty());
}

} // namespace Hamlet
